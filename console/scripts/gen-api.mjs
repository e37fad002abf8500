// Regenerates src/api/schema.ts from the API's OpenAPI description (drf-spectacular), so the console's
// types are the API's: `npm run gen:api` after changing a serializer, then commit both.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "roster-schema-"));
const schema = join(dir, "schema.yaml");
try {
  execFileSync(join(root, ".venv", "bin", "python"), ["manage.py", "spectacular", "--file", schema, "--validate"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  execFileSync(process.execPath, [join(here, "..", "node_modules", "openapi-typescript", "bin", "cli.js"), schema,
    "-o", join(here, "..", "src", "api", "schema.ts")], { stdio: "inherit" });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
