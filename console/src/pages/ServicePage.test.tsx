import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mockApi, renderApp } from "../test/utils";
import ServicePage from "./ServicePage";

const GITHUB = { at: "2026-10-22T14:00:00Z", by: "samdiaz", sha: "0123456789abcdef0123", ref: "main", image_tag: null, environment: "production",
  source: "github_deployment", url: "https://ci.acme.test/import-gateway/deploys/212", revision: null, resource: null };
const ECS = { at: "2026-10-20T09:00:00Z", by: null, sha: null, ref: null, image_tag: "1.4.2", environment: null, source: "ecs", url: null,
  revision: "import-gateway:3", resource: "arn:aws:ecs:us-east-1:723347347957:service/prod/import-gateway" };

function service(lastDeploy: unknown) {
  return {
    id: "s1", name: "import-gateway", display_name: "Import Gateway", description: "", entry_type: "service", lifecycle: "production",
    tier: "standard", tech_stack: [], environments: ["prod"], repo: "acme/import-gateway", confidence: 0.9, health: "unknown", updated_at: "",
    owner: { team_id: null, slug: null, name: null, confidence: 0, status: "unowned", source: "" }, aliases: [], accounts: [], regions: [],
    sources: [], evidence: [], repository: null, infrastructure: { aws_resources: [] }, runner_up: null, owner_candidates: [], locked_fields: {},
    missed_scans: 0, last_seen_at: null, created_at: "", last_deploy: lastDeploy,
  };
}

function api(lastDeploy: unknown, events: unknown[] = []) {
  return mockApi((url) => {
    if (url.pathname === "/api/v1/services/s1/") return { body: service(lastDeploy) };
    if (url.pathname === "/api/v1/services/s1/events/") return { body: { count: events.length, next: null, previous: null, results: events } };
    return undefined;
  });
}

async function details() {
  await screen.findByRole("heading", { level: 1, name: "import-gateway" });
  return screen.getByRole("region", { name: "Details" });
}

describe("Service page: last deploy", () => {
  it("says when, which commit, where and who from GitHub, linking the deploy's log", async () => {
    api(GITHUB);
    renderApp(<ServicePage />, { at: "/services/s1", path: "/services/:id" });
    const card = await details();
    expect(within(card).getByText("Last deploy")).toBeInTheDocument();
    const line = within(card).getByTestId("last-deploy");
    expect(line).toHaveTextContent(/0123456 to production by samdiaz/);
    expect(line).toHaveTextContent("from the GitHub deployment");
    expect(within(line).getByRole("link", { name: "0123456" })).toHaveAttribute("href", GITHUB.url);
  });

  it("falls back to the ECS image with a console link, and never links an unsafe URL", async () => {
    api({ ...ECS, url: "javascript:alert(1)" });
    renderApp(<ServicePage />, { at: "/services/s1", path: "/services/:id" });
    const line = within(await details()).getByTestId("last-deploy");
    expect(line).toHaveTextContent("image 1.4.2");
    expect(line).toHaveTextContent("from the ECS service deployment");
    const links = within(line).getAllByRole("link");
    expect(links).toHaveLength(1);
    expect(links[0]).toHaveAttribute("href", expect.stringMatching(/^https:\/\/console\.aws\.amazon\.com\/ecs\//));
  });

  it("shows a dash when nothing is known, and a change of the last deploy in words in the history", async () => {
    api(null, [{ id: 1, run: "r1", service: "s1", service_name: "import-gateway", event_type: "service_updated", field: "last_deploy",
      old_value: ECS, new_value: GITHUB, confidence: null, reason: "another deploy was found", created_at: "2026-10-22T15:00:00Z" }]);
    renderApp(<ServicePage />, { at: "/services/s1", path: "/services/:id" });
    expect(within(await details()).queryByTestId("last-deploy")).toBeNull();
    const history = screen.getByRole("region", { name: "Discovery history" });
    expect(await within(history).findByText(/last deploy: image 1.4.2 → 0123456 to production by samdiaz/)).toBeInTheDocument();
  });
});
