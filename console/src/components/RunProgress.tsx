import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, must, type Failure, type RunDetail } from "../api/client";
import { LIVE, statusText } from "../lib/discover";
import { ErrorState, Loading } from "./ui";

export function failuresOf(run: RunDetail): Failure[] {
  const list: Failure[] = Array.isArray(run.failures) ? (run.failures as Failure[]) : [];
  const fromJobs = (run.jobs ?? []).filter((j) => j.failure && typeof j.failure === "object" && Object.keys(j.failure as object).length)
    .map((j) => ({ ...(j.failure as Failure), job: j.key }));
  const seen = new Set(list.map((f) => `${f.reason_code}|${f.message}`));
  return [...list, ...fromJobs.filter((f) => !seen.has(`${f.reason_code}|${f.message}`))];
}

/** A run's live state while it is queued or running: streamed by the server (Server-Sent Events, the same
 * shape as GET /runs/{id}/), and polled every second whenever the stream is not open. */
export function useRun(id: string) {
  const client = useQueryClient();
  const [streaming, setStreaming] = useState(false);
  const query = useQuery({
    queryKey: ["run", id],
    queryFn: ({ signal }) => must(api.GET("/api/v1/runs/{id}/", { params: { path: { id } }, signal })),
    refetchInterval: (q) => (!streaming && (!q.state.data || LIVE.has(q.state.data.status)) ? 1000 : false),
  });
  const live = !query.data || LIVE.has(query.data.status);
  useEffect(() => {
    if (!live || typeof EventSource === "undefined") return;
    const source = new EventSource(`/api/v1/runs/${encodeURIComponent(id)}/events/`);
    source.addEventListener("run", (event) => {
      setStreaming(true);
      client.setQueryData(["run", id], JSON.parse((event as MessageEvent<string>).data) as RunDetail);
    });
    source.addEventListener("end", (event) => {
      // "reconnect": the server ends long streams; EventSource opens a new one by itself.
      if ((JSON.parse((event as MessageEvent<string>).data) as { reason?: string }).reason !== "reconnect") {
        source.close();
        setStreaming(false);
      }
    });
    source.onerror = () => setStreaming(false); // polling covers the gap while EventSource retries
    return () => source.close();
  }, [id, live, client]);
  return query;
}

export function RunProgress({ id, label = "Discovery progress" }: { id: string; label?: string }) {
  const run = useRun(id);
  if (run.isPending) return <Loading label="Loading the run…" />;
  if (run.isError) return <ErrorState error={run.error} retry={() => run.refetch()} />;
  return <RunProgressView run={run.data} label={label} />;
}

export function RunProgressView({ run, label }: { run: RunDetail; label: string }) {
  const total = run.total ?? 0, done = run.processed ?? 0;
  const failures = failuresOf(run);
  const facts = (run.jobs ?? []).reduce((n, j) => n + (j.facts ?? 0), 0) || Number((run.stats as Record<string, unknown>)?.facts ?? 0);
  const live = LIVE.has(run.status);
  return (
    <div>
      <div className="mb-1 flex items-baseline justify-between text-sm">
        <span id={`progress-${run.id}`} className="font-medium">{label}</span>
        <span className="text-slate-700">{done} of {total} jobs · {facts.toLocaleString()} facts</span>
      </div>
      <div role="progressbar" aria-labelledby={`progress-${run.id}`} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}
        aria-valuetext={`${done} of ${total} jobs`} className="h-2 w-full overflow-hidden rounded-full bg-slate-200">
        <div className={`h-full rounded-full ${run.status === "failed" ? "bg-red-600" : run.status === "partial" ? "bg-amber-500" : "bg-indigo-600"} transition-all`}
          style={{ width: `${total ? Math.round((done / total) * 100) : live ? 5 : 100}%` }} />
      </div>
      <p className="mt-2 text-sm" aria-live="polite">
        Status: <strong data-testid="run-status">{statusText(run.status)}</strong>
        {run.failed ? <span className="text-red-700"> · {run.failed} failed</span> : null}
      </p>
      {failures.length > 0 && (
        <div className="mt-3">
          <h3 className="text-sm font-medium">Failures</h3>
          <ul className="mt-1 space-y-2">
            {failures.map((f, i) => (
              <li key={i} className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">
                <p><strong>{f.reason_code ?? "failure"}</strong>{f.job && <> in {f.job}</>}{f.item && <> ({f.item})</>}: {f.message}</p>
                {f.remediation && <p className="mt-1 text-red-800">How to fix: {f.remediation}</p>}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
