import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useParams } from "react-router-dom";
import { api, must } from "../api/client";
import { RunProgressView, useRun } from "../components/RunProgress";
import { Badge, Card, Empty, ErrorState, Loading, Page, when } from "../components/ui";
import { firstRunId, LIVE, useDiscover } from "../lib/discover";
import { canEdit, useMe } from "../lib/session";

export default function RunPage() {
  const { id = "" } = useParams();
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const run = useRun(id);
  const cancel = useMutation({
    mutationFn: () => must(api.POST("/api/v1/runs/{id}/cancel/", { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["run", id] }),
  });
  const retry = useDiscover();

  if (run.isPending) return <Page title="Run"><Loading label="Loading the run…" /></Page>;
  if (run.isError) return <Page title="Run"><ErrorState error={run.error} retry={() => run.refetch()} /></Page>;
  const r = run.data;
  const live = LIVE.has(r.status);
  return (
    <Page title={`${r.kind === "reconcile" ? "Reconcile" : "Scan"} run ${r.id.slice(0, 8)}`}
      subtitle={<>{r.trigger}{r.requested_by ? ` by ${r.requested_by}` : ""} · created {when(r.created_at)}</>}
      actions={canEdit(me) && <>
        <button type="button" className="btn-secondary" disabled={!live || cancel.isPending} onClick={() => cancel.mutate()}>Cancel</button>
        <button type="button" className="btn-primary" disabled={live || retry.isPending}
          onClick={() => retry.mutate(r.kind === "scan" ? r.connection : undefined, { onSuccess: (a) => { const next = firstRunId(a); if (next) navigate(`/runs/${next}`); } })}>Retry</button>
      </>}>
      {cancel.isError && <p role="alert" className="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-800">{cancel.error.message}</p>}
      {retry.isError && <p role="alert" className="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-800">Could not retry: {retry.error.message}</p>}
      <div className="space-y-6">
        <Card title="Progress" id="progress-title"><RunProgressView run={r} label="Discovery progress" /></Card>
        <Card title="Jobs" id="jobs-title">
          {(r.jobs ?? []).length === 0 ? <Empty>No jobs yet.</Empty> : (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="text-xs uppercase tracking-wide text-slate-600">
                  <tr><th scope="col" className="py-2 pr-3">Job</th><th scope="col" className="pr-3">Status</th><th scope="col" className="pr-3">Facts</th><th scope="col" className="pr-3">API calls</th><th scope="col">Finished</th></tr>
                </thead>
                <tbody>
                  {r.jobs.map((j) => (
                    <tr key={j.id} className="border-t border-slate-100">
                      <td className="py-2 pr-3 font-mono text-xs">{j.key}</td><td className="pr-3"><Badge value={j.status ?? ""} /></td>
                      <td className="pr-3">{j.facts ?? 0}</td><td className="pr-3">{j.api_calls ?? 0}</td><td>{when(j.finished_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      </div>
    </Page>
  );
}
