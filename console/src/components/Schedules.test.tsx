import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { EDITOR, mockApi, renderApp } from "../test/utils";
import Schedules from "./Schedules";

const ADMIN = { ...EDITOR, id: 1, username: "ada", role: "admin" as const };

function schedule(paused = false) {
  return { id: 7, connection: "c1", connection_name: "github-acme", provider: "github", incremental_every_hours: 6,
    full_every_hours: 24, paused, next_incremental_at: "2026-12-03T12:00:00Z", next_full_at: "2026-12-04T06:00:00Z",
    last_incremental_at: null, last_full_at: null, last_run: null, last_outcome: "started an incremental read", updated_at: "" };
}

function api() {
  let paused = false;
  return mockApi((url, request) => {
    if (url.pathname === "/api/v1/schedules/") return { body: { count: 1, next: null, previous: null, results: [schedule(paused)] } };
    if (url.pathname === "/api/v1/schedules/7/pause/" && request.method === "POST") { paused = true; return { body: schedule(true) }; }
    if (url.pathname === "/api/v1/schedules/7/resume/" && request.method === "POST") { paused = false; return { body: schedule(false) }; }
    return undefined;
  });
}

describe("Schedules", () => {
  it("shows each connection's cadence to editors, without controls", async () => {
    api();
    renderApp(<Schedules />);
    expect(await screen.findByRole("table", { name: "When each connection is read again" })).toBeInTheDocument();
    expect(screen.getByText(/every 6 h/)).toBeInTheDocument();
    expect(screen.getByText(/every 24 h/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Pause/ })).not.toBeInTheDocument();
  });

  it("lets admins pause and resume, and shows the new state", async () => {
    const fetchMock = api();
    renderApp(<Schedules />, { me: ADMIN });
    await userEvent.click(await screen.findByRole("button", { name: "Pause github-acme" }));
    expect(await screen.findByRole("button", { name: "Resume github-acme" })).toBeInTheDocument();
    expect(screen.getByText("paused")).toBeInTheDocument();
    await waitFor(() => expect(fetchMock.mock.calls.map(([r]) => new URL((r as Request).url).pathname)).toContain("/api/v1/schedules/7/pause/"));
  });
});
