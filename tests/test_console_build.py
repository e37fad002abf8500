"""The web console's component tests (Vitest, console/) run as part of the suite: `npm test` in console/."""
import shutil
import subprocess
from pathlib import Path

CONSOLE = Path(__file__).resolve().parent.parent / "console"


def test_console_component_tests_pass():
    assert shutil.which("node") and shutil.which("npm"), (
        "node and npm are needed for the console's tests (Node 18 or 20): install them, e.g. apt-get install nodejs npm")
    script = CONSOLE.parent / "scripts" / "console.sh"
    result = subprocess.run([str(script), "test"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"console tests failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


def test_the_consoles_api_types_are_the_apis(tmp_path):
    """console/src/api/schema.ts is generated from the OpenAPI schema (npm run gen:api): an API change that is not
    regenerated and committed fails here, so the console cannot drift from the API."""
    import sys

    root = CONSOLE.parent
    schema = tmp_path / "schema.yaml"
    subprocess.run([sys.executable, "manage.py", "spectacular", "--file", str(schema)], cwd=root, check=True,
                   capture_output=True, timeout=300)
    generated = tmp_path / "schema.ts"
    cli = CONSOLE / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
    assert cli.exists(), "the console's npm packages are missing: run scripts/console.sh install"
    subprocess.run(["node", str(cli), str(schema), "-o", str(generated)], check=True, capture_output=True, timeout=300)
    assert generated.read_text() == (CONSOLE / "src" / "api" / "schema.ts").read_text(), (
        "console/src/api/schema.ts is stale: run `npm run gen:api` in console/ and commit it")
