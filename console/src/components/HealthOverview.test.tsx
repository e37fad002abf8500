import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mockApi, renderApp, VIEWER } from "../test/utils";
import { HealthOverview } from "./HealthOverview";

const BODY = { total: 10, healthy: 6, degraded: 1, down: 2, unknown: 1, unhealthy: [
  { id: "s1", name: "gateway", health: "down", tier: "critical", lifecycle: "production", team_slug: "payments", team_name: "Payments" },
  { id: "s2", name: "orphan-worker", health: "degraded", tier: "standard", lifecycle: "production", team_slug: null, team_name: null },
] };

describe("Health overview (director view)", () => {
  it("counts services by health, each linking to those services, and lists the worst with links", async () => {
    mockApi((url) => (url.pathname === "/api/v1/dashboard/health/" ? { body: BODY } : undefined));
    renderApp(<HealthOverview />, { me: VIEWER });
    const states = await screen.findByRole("list", { name: "Services by health" });
    const down = within(states).getByRole("link", { name: /down\s*2/i });
    expect(down).toHaveAttribute("href", "/services?health=down");
    expect(down).toHaveTextContent("20%");
    expect(within(states).getByRole("link", { name: /healthy\s*6/i })).toHaveAttribute("href", "/services?health=healthy");
    const worst = screen.getByRole("list", { name: "Needs attention" });
    const rows = within(worst).getAllByRole("listitem");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByRole("link", { name: "gateway" })).toHaveAttribute("href", "/services/s1");
    expect(within(rows[0]).getByRole("link", { name: "Payments" })).toHaveAttribute("href", "/teams/payments");
    expect(rows[1]).toHaveTextContent("no owner");
    expect(rows[1]).toHaveTextContent("degraded");
  });

  it("says when nothing is down or degraded", async () => {
    mockApi(() => ({ body: { ...BODY, degraded: 0, down: 0, healthy: 9, unhealthy: [] } }));
    renderApp(<HealthOverview />);
    expect(await screen.findByText("No service is down or degraded.")).toBeInTheDocument();
  });

  it("shows the API's refusal with a retry", async () => {
    mockApi(() => ({ status: 403, body: { detail: "You do not have permission to do this." } }));
    renderApp(<HealthOverview />);
    expect(await screen.findByRole("alert")).toHaveTextContent("You do not have permission to do this.");
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
