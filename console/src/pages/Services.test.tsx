import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { mockApi, renderApp } from "../test/utils";
import Services from "./Services";

const TEAMS = { count: 2, next: null, previous: null, results: [
  { id: "t1", slug: "payments", name: "Payments", members: [], service_count: 2 },
  { id: "t2", slug: "identity", name: "Identity", members: [], service_count: 1 },
] };

function service(i: number, team = "payments") {
  return { id: `s${i}`, name: `svc-${String(i).padStart(5, "0")}`, lifecycle: "production", tier: "standard", tech_stack: ["Go"], repo: `acme/svc-${i}`,
    owner: { team_id: "t1", slug: team, name: team, confidence: 0.9, status: "owned", source: "codeowners" }, updated_at: "" };
}

function api(total = 3) {
  return mockApi((url) => {
    if (url.pathname === "/api/v1/teams/") return { body: TEAMS };
    if (url.pathname === "/api/v1/services/") {
      const offset = Number(url.searchParams.get("offset") ?? 0), limit = Number(url.searchParams.get("limit") ?? 100);
      const n = Math.max(0, Math.min(limit, total - offset));
      // the API sorts the whole catalog: ordering=-name serves the last names first
      const at = (k: number) => (url.searchParams.get("ordering") === "-name" ? total - 1 - (offset + k) : offset + k);
      return { body: { count: total, next: null, previous: null, results: Array.from({ length: n }, (_, k) => service(at(k))) } };
    }
    if (url.pathname === "/api/v1/services/search") return { body: { hits: [{ id: "s7", name: "svc-found", team_name: "Payments", team_slug: "payments", lifecycle: "production", tier: "standard", repo: "", language: "Go", owner_confidence: 1, _matchesPosition: {} }], teams: [], repositories: [] } };
    return undefined;
  });
}

const listCalls = (fetchMock: ReturnType<typeof api>) => fetchMock.mock.calls
  .map(([r]) => new URL((r as Request).url)).filter((u) => u.pathname === "/api/v1/services/");

describe("Services catalog filters", () => {
  it("reads its filters from the URL and sends them to the API", async () => {
    const fetchMock = api();
    renderApp(<Services />, { at: "/services?team=payments&ownership_status=ambiguous&tier=critical&page=1", path: "/services" });
    await screen.findByRole("table", { name: "Services" });
    const last = listCalls(fetchMock).at(-1)!;
    expect(last.searchParams.get("team")).toBe("payments");
    expect(last.searchParams.get("ownership_status")).toBe("ambiguous");
    expect(last.searchParams.get("tier")).toBe("critical");
    expect(last.searchParams.get("offset")).toBe("0");
    expect(screen.getByRole("combobox", { name: "Ownership" })).toHaveValue("ambiguous");
  });

  it("puts a chosen filter in the URL, resets the page and refetches", async () => {
    const fetchMock = api();
    renderApp(<Services />, { at: "/services?page=2", path: "/services" });
    await screen.findByRole("option", { name: "Identity" });
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Team" }), "identity");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Lifecycle" }), "deprecated");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/services?team=identity&lifecycle=deprecated"));
    await waitFor(() => {
      const last = listCalls(fetchMock).at(-1)!;
      expect(last.searchParams.get("team")).toBe("identity");
      expect(last.searchParams.get("lifecycle")).toBe("deprecated");
    });
    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/services$/));
  });

  it("sends free text to the search API", async () => {
    const fetchMock = api();
    renderApp(<Services />, { at: "/services", path: "/services" });
    const box = await screen.findByLabelText("Search");
    await userEvent.type(box, "found{Enter}");
    expect(await screen.findByRole("link", { name: "svc-found" })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("q=found");
    expect(fetchMock.mock.calls.some(([r]) => new URL((r as Request).url).pathname === "/api/v1/services/search")).toBe(true);
  });

  it("sorts the whole catalog by a column (state in the URL, sorted by the API) and renders only a window of 10,000 rows", async () => {
    const fetchMock = api(10_000);
    renderApp(<Services />, { at: "/services", path: "/services" });
    const table = await screen.findByRole("table", { name: "Services" });
    const rendered = within(table).getAllByRole("row").length;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(100); // 500 rows in the page, only the visible ones in the DOM
    await userEvent.click(screen.getByRole("button", { name: /^Name/ }));
    expect(screen.getByTestId("location")).toHaveTextContent("ordering=name");
    await userEvent.click(screen.getByRole("button", { name: /^Name/ }));
    expect(screen.getByTestId("location")).toHaveTextContent("ordering=-name");
    expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "descending");
    expect(listCalls(fetchMock).at(-1)!.searchParams.get("ordering")).toBe("-name");
    expect(await within(table).findByRole("link", { name: /svc-09999/ })).toBeInTheDocument(); // not page 1's last
    expect(screen.getByText("Page 1 of 20")).toBeInTheDocument();
  });

  it("says when nothing matches", async () => {
    api(0);
    renderApp(<Services />, { at: "/services?tier=critical", path: "/services" });
    expect(await screen.findByText("No services match these filters.")).toBeInTheDocument();
  });
});
