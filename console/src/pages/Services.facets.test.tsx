import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { mockApi, renderApp } from "../test/utils";
import Services from "./Services";

const TEAMS = { count: 2, next: null, previous: null, results: [
  { id: "t1", slug: "payments", name: "Payments", members: [], service_count: 2 },
  { id: "t2", slug: "identity", name: "Identity", members: [], service_count: 1 },
] };
const FACETS = {
  team: { payments: 7, identity: 2 }, lifecycle: { production: 8, staging: 1 }, tier: { critical: 3, standard: 6 },
  ownership_status: { owned: 9 }, language: { Go: 5 }, health: { down: 2, healthy: 6, unknown: 1 },
  environment: { prod: 8, preprod: 3 }, source: { github_repo: 9, lambda_function: 4 },
};
const SERVICE = { id: "s1", name: "gateway", lifecycle: "production", tier: "critical", tech_stack: ["Go"], repo: "acme/gateway", health: "down",
  owner: { team_id: "t1", slug: "payments", name: "Payments", confidence: 0.9, status: "owned", source: "codeowners" }, updated_at: "" };

function api() {
  return mockApi((url) => {
    if (url.pathname === "/api/v1/teams/") return { body: TEAMS };
    if (url.pathname === "/api/v1/services/") {
      const facets = url.searchParams.get("facets") === "true" ? FACETS : undefined;
      return { body: { count: 9, next: null, previous: null, results: [SERVICE], facets } };
    }
    if (url.pathname === "/api/v1/services/search") return { body: { hits: [], teams: [], repositories: [] } };
    return undefined;
  });
}

const listCalls = (fetchMock: ReturnType<typeof api>) => fetchMock.mock.calls
  .map(([r]) => new URL((r as Request).url)).filter((u) => u.pathname === "/api/v1/services/");
const options = (name: string) => within(screen.getByRole("combobox", { name })).getAllByRole("option").map((o) => o.textContent);

describe("Services catalog facets", () => {
  it("asks for facet counts and shows them in each filter, learning environments and sources from the catalog", async () => {
    const fetchMock = api();
    renderApp(<Services />, { at: "/services", path: "/services" });
    await screen.findByRole("option", { name: "Payments (7)" });
    expect(listCalls(fetchMock).at(-1)!.searchParams.get("facets")).toBe("true");
    expect(options("Team")).toEqual(["All teams", "Payments (7)", "Identity (2)"]);
    expect(options("Health")).toEqual(["Any", "healthy (6)", "degraded (0)", "down (2)", "unknown (1)"]);
    expect(options("Environment")).toEqual(["Any", "prod (8)", "preprod (3)"]);
    expect(options("Source")).toEqual(["Any", "github repo (9)", "lambda function (4)"]);
    // end-of-life services are not in the list unless asked for: eol gets no count rather than a wrong 0
    expect(options("Lifecycle")).toContain("eol");
    expect(options("Lifecycle")).toContain("production (8)");
  });

  it("puts health, environment and source in the URL and filters on the server", async () => {
    const fetchMock = api();
    renderApp(<Services />, { at: "/services?page=2", path: "/services" });
    await screen.findByRole("option", { name: "prod (8)" });
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Health" }), "down");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Environment" }), "prod");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Source" }), "lambda_function");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/services?health=down&environment=prod&source=lambda_function"));
    await waitFor(() => {
      const last = listCalls(fetchMock).at(-1)!;
      expect(last.searchParams.get("health")).toBe("down");
      expect(last.searchParams.get("environment")).toBe("prod");
      expect(last.searchParams.get("source")).toBe("lambda_function");
      expect(last.searchParams.get("offset")).toBe("0");
    });
  });

  it("keeps a chosen value from the URL even when the catalog has none of it", async () => {
    api();
    renderApp(<Services />, { at: "/services?environment=qa", path: "/services" });
    await screen.findByRole("option", { name: "prod (8)" });
    expect(screen.getByRole("combobox", { name: "Environment" })).toHaveValue("qa");
    expect(options("Environment")).toContain("qa (0)");
  });

  it("sends health to the search API and turns off the filters it does not know", async () => {
    const fetchMock = api();
    renderApp(<Services />, { at: "/services?q=gate&health=down", path: "/services" });
    await waitFor(() => expect(fetchMock.mock.calls.some(([r]) => new URL((r as Request).url).pathname === "/api/v1/services/search")).toBe(true));
    const search = fetchMock.mock.calls.map(([r]) => new URL((r as Request).url)).find((u) => u.pathname === "/api/v1/services/search")!;
    expect(search.searchParams.get("health")).toBe("down");
    expect(screen.getByRole("combobox", { name: "Environment" })).toBeDisabled();
    expect(screen.getByRole("combobox", { name: "Source" })).toBeDisabled();
    expect(screen.getByRole("combobox", { name: "Health" })).toBeEnabled();
  });
});
