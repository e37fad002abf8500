import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { remember } from "../lib/recent";
import { mockApi, renderApp } from "../test/utils";
import { Palette } from "./Palette";

const answer = (q: string) => ({
  query: q, limit: 8, backend: "postgres", cached: false, processingTimeMs: 1, estimatedTotalHits: 2, facets: {},
  hits: [
    { id: "s1", type: "service", name: "account-api", team_name: "Identity", lifecycle: "production", repo: "acme/account-api", _matchesPosition: { name: [{ start: 0, length: 6 }] } },
    { id: "s2", type: "service", name: "account-indexer", team_name: "Identity", lifecycle: "production", repo: "", _matchesPosition: { name: [{ start: 0, length: 6 }] } },
  ],
  teams: [{ id: "t1", type: "team", name: "identity", display_name: "Identity", services_count: 4, members_count: 3, _matchesPosition: {} }],
  repositories: [],
});

describe("Palette", () => {
  it("is a dialog named Search with a combobox, and shows results with highlighted matches", async () => {
    const fetchMock = mockApi((url) => (url.pathname === "/api/v1/services/search" ? { body: answer(url.searchParams.get("q") ?? "") } : undefined));
    renderApp(<Palette onClose={() => {}} />);
    expect(screen.getByRole("dialog", { name: "Search" })).toBeInTheDocument();
    const box = screen.getByRole("combobox", { name: "Search services, teams and repositories" });
    expect(box).toHaveFocus();
    await userEvent.type(box, "acount");
    const options = await screen.findAllByRole("option");
    expect(options).toHaveLength(3);
    expect(screen.getByRole("listbox")).toContainElement(options[0]);
    expect(options[0].querySelector("mark")?.textContent).toBe("accoun");
    // debounced: one request for the whole word, not one per keystroke
    const queries = fetchMock.mock.calls.map(([r]) => new URL((r as Request).url).searchParams.get("q"));
    expect(queries).toContain("acount");
    expect(queries.length).toBeLessThan(4);
  });

  it("moves with the arrows and opens the selected result with Enter", async () => {
    mockApi((url) => (url.pathname === "/api/v1/services/search" ? { body: answer("acc") } : undefined));
    const onClose = vi.fn();
    renderApp(<Palette onClose={onClose} />);
    const box = screen.getByRole("combobox");
    await userEvent.type(box, "acc");
    await screen.findAllByRole("option");
    expect(screen.getAllByRole("option")[0]).toHaveAttribute("aria-selected", "true");
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getAllByRole("option")[1]).toHaveAttribute("aria-selected", "true");
    expect(box).toHaveAttribute("aria-activedescendant", screen.getAllByRole("option")[1].id);
    await userEvent.keyboard("{ArrowUp}{ArrowUp}");
    expect(screen.getAllByRole("option")[2]).toHaveAttribute("aria-selected", "true"); // wraps around
    await userEvent.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/services/s2"));
    expect(onClose).toHaveBeenCalled();
  });

  it("shows recent items when empty, and Escape closes", async () => {
    mockApi(() => undefined);
    remember({ type: "service", id: "s9", name: "billing-worker", href: "/services/s9" });
    const onClose = vi.fn();
    renderApp(<Palette onClose={onClose} />);
    expect(screen.getByRole("option", { name: /billing-worker/ })).toBeInTheDocument();
    await userEvent.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalled();
  });

  it("says so when nothing matches, and when search fails", async () => {
    mockApi((url) => url.searchParams.get("q") === "zzz"
      ? { body: { ...answer("zzz"), hits: [], teams: [] } } : { status: 503, body: { detail: "search is down" } });
    renderApp(<Palette onClose={() => {}} />);
    await userEvent.type(screen.getByRole("combobox"), "zzz");
    expect(await screen.findByText(/No results for/)).toBeInTheDocument();
    await userEvent.clear(screen.getByRole("combobox"));
    await userEvent.type(screen.getByRole("combobox"), "q");
    expect(await screen.findByText(/Search failed: search is down/)).toBeInTheDocument();
  });

  it("answers from the local index while the server cannot, and the server's answer replaces it", async () => {
    const index = {
      truncated: false,
      fields: { services: ["id", "name", "team_name", "lifecycle", "repo", "aliases"], teams: ["id", "name", "display_name", "services_count", "members_count"], repositories: ["name", "team_name", "services"] },
      services: [["s7", "ledger-writer", "Payments", "production", "acme/ledger", []]], teams: [], repositories: [],
    };
    let serverUp = false;
    mockApi((url) => url.pathname === "/api/v1/services/search/index" ? { body: index }
      : url.pathname === "/api/v1/services/search" && serverUp ? { body: answer(url.searchParams.get("q") ?? "") }
      : { status: 503, body: { detail: "search is down" } });
    renderApp(<Palette onClose={() => {}} />);
    await waitFor(() => expect(globalThis.fetch).toHaveBeenCalled()); // the index is on its way
    await new Promise((r) => setTimeout(r, 20));
    await userEvent.type(screen.getByRole("combobox"), "ledgr");
    const [option] = await screen.findAllByRole("option");
    expect(option.textContent).toContain("ledger-writer");
    expect(option.querySelector("mark")?.textContent).toBe("ledge"); // one typo, highlighted locally
    expect(screen.getByRole("listbox")).toHaveAttribute("data-source", "local");
    expect(screen.getByRole("listbox")).toHaveAttribute("data-query", "ledgr");
    expect(screen.queryByText(/Search failed/)).not.toBeInTheDocument(); // local results, no alarm
    serverUp = true;
    await userEvent.type(screen.getByRole("combobox"), "x");
    await waitFor(() => expect(screen.getAllByRole("option")[0].textContent).toContain("account-api"));
    expect(screen.getByRole("listbox")).toHaveAttribute("data-source", "server");
    expect(screen.getByRole("listbox")).toHaveAttribute("data-query", "ledgrx");
  });
});
