import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { vi } from "vitest";
import type { Me } from "../api/client";
import { SessionContext } from "../lib/session";

export type Handler = (url: URL, request: Request) => { status?: number; body: unknown } | undefined;

/** Replaces fetch: each request goes to ``handler`` (by URL); returns the mock to inspect the calls. */
export function mockApi(handler: Handler) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const request = input instanceof Request ? input : new Request(String(input));
    if (request.signal?.aborted) throw new DOMException("aborted", "AbortError");
    const answer = handler(new URL(request.url), request) ?? { status: 404, body: { detail: "not mocked" } };
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

export const EDITOR: Me = { id: 2, username: "erin", email: "", first_name: "Erin", last_name: "", is_active: true, role: "editor", teams: ["payments"], github_login: "", last_login: null, date_joined: "2026-01-01T00:00:00Z" };
export const VIEWER: Me = { ...EDITOR, id: 3, username: "vic", first_name: "Vic", role: "viewer" };

function Where() {
  const location = useLocation();
  return <div data-testid="location">{location.pathname + location.search}</div>;
}

export function renderApp(ui: ReactNode, { me = EDITOR, at = "/", path = "*" }: { me?: Me | null; at?: string; path?: string } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <SessionContext.Provider value={me}>
        <MemoryRouter initialEntries={[at]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes><Route path={path} element={<>{ui}<Where /></>} /><Route path="*" element={<Where />} /></Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}
