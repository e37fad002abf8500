import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { RunProgress } from "./RunProgress";

/** A stand-in for the browser's EventSource: the test plays the server's events. */
class FakeEventSource {
  static last: FakeEventSource | null = null;
  listeners: Record<string, ((e: MessageEvent<string>) => void)[]> = {};
  closed = false;
  onerror: (() => void) | null = null;
  constructor(public url: string) { FakeEventSource.last = this; }
  addEventListener(name: string, fn: (e: MessageEvent<string>) => void) { (this.listeners[name] ??= []).push(fn); }
  emit(name: string, data: unknown) { for (const fn of this.listeners[name] ?? []) fn({ data: JSON.stringify(data) } as MessageEvent<string>); }
  close() { this.closed = true; }
}

const run = (status: string, processed: number) => ({
  id: "r1", kind: "scan", status, total: 4, processed, failed: 0, failures: [], stats: {}, jobs: [],
});

beforeEach(() => {
  vi.stubGlobal("EventSource", FakeEventSource);
  vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify(run("running", 0)), {
    status: 200, headers: { "Content-Type": "application/json" } })));
});
afterEach(() => { vi.unstubAllGlobals(); FakeEventSource.last = null; });

test("a live run follows its stream and stops listening when the run is over", async () => {
  const client = new QueryClient();
  render(<QueryClientProvider client={client}><RunProgress id="r1" /></QueryClientProvider>);
  expect(await screen.findByText(/0 of 4 jobs/)).toBeTruthy();
  const source = FakeEventSource.last!;
  expect(source.url).toBe("/api/v1/runs/r1/events/");
  act(() => source.emit("run", run("running", 3)));
  expect(await screen.findByText(/3 of 4 jobs/)).toBeTruthy();
  act(() => { source.emit("run", run("succeeded", 4)); source.emit("end", { reason: "finished", status: "succeeded" }); });
  expect(await screen.findByText(/4 of 4 jobs/)).toBeTruthy();
  expect(source.closed).toBe(true);
});
