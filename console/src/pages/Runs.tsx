import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api, must } from "../api/client";
import Schedules from "../components/Schedules";
import { Badge, Empty, ErrorState, Loading, Page, when } from "../components/ui";
import { firstRunId, LIVE, useDiscover } from "../lib/discover";
import { canEdit, useMe } from "../lib/session";

const SIZE = 50;

export default function Runs() {
  const me = useMe();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const runs = useQuery({
    queryKey: ["runs", page],
    placeholderData: keepPreviousData,
    queryFn: ({ signal }) => must(api.GET("/api/v1/runs/", { signal, params: { query: { limit: SIZE, offset: (page - 1) * SIZE } } })),
    refetchInterval: (query) => (query.state.data?.results.some((r) => LIVE.has(r.status)) ? 2000 : false),
  });
  const discover = useDiscover();
  const pages = runs.data ? Math.max(1, Math.ceil(runs.data.count / SIZE)) : 1;

  return (
    <Page title="Runs" subtitle="Discovery scans and the reconcile step that follows them"
      actions={canEdit(me) && (
        <button type="button" className="btn-primary" disabled={discover.isPending}
          onClick={() => discover.mutate(undefined, { onSuccess: (a) => { const id = firstRunId(a); if (id) navigate(`/runs/${id}`); } })}>
          {discover.isPending ? "Starting…" : "Run discovery"}
        </button>
      )}>
      {canEdit(me) && <Schedules />}
      {discover.isError && <p role="alert" className="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-800">Could not start discovery: {discover.error.message}</p>}
      {runs.isPending ? <Loading label="Loading runs…" /> : runs.isError ? <ErrorState error={runs.error} retry={() => runs.refetch()} /> : runs.data.results.length === 0 ? (
        <Empty>No discovery has run yet.{canEdit(me) && " Press “Run discovery” to start one, or connect accounts in "}{canEdit(me) && <Link className="link" to="/onboarding">onboarding</Link>}.</Empty>
      ) : (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Discovery runs, newest first</caption>
            <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
              <tr><th scope="col" className="px-3 py-2">Run</th><th scope="col" className="px-3 py-2">Status</th><th scope="col" className="px-3 py-2">Jobs</th>
                <th scope="col" className="px-3 py-2">Trigger</th><th scope="col" className="px-3 py-2">Started</th><th scope="col" className="px-3 py-2">Duration</th></tr>
            </thead>
            <tbody>
              {runs.data.results.map((r) => (
                <tr key={r.id} className="border-t border-slate-100">
                  <td className="px-3 py-2"><Link className="link font-medium" to={`/runs/${r.id}`}>{r.kind} {r.id.slice(0, 8)}</Link></td>
                  <td className="px-3 py-2"><Badge value={r.status} /></td>
                  <td className="px-3 py-2">{r.processed ?? 0}/{r.total ?? 0}{(r.failed ?? 0) > 0 && <span className="text-red-700"> · {r.failed} failed</span>}</td>
                  <td className="px-3 py-2">{r.trigger}{r.requested_by && r.requested_by !== r.trigger ? ` by ${r.requested_by}` : ""}
                    {r.kind === "scan" && r.scan_mode && r.scan_mode !== "auto" && <span className="text-slate-600"> · {r.scan_mode}</span>}</td>
                  <td className="px-3 py-2">{when(r.started_at ?? r.created_at)}</td>
                  <td className="px-3 py-2">{r.duration_seconds != null ? `${r.duration_seconds.toFixed(1)} s` : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 && (
        <nav aria-label="Pages" className="mt-4 flex items-center justify-end gap-2 text-sm">
          <button type="button" className="btn-secondary" disabled={page <= 1} onClick={() => setParams({ page: String(page - 1) })}>Previous</button>
          <span>Page {page} of {pages}</span>
          <button type="button" className="btn-secondary" disabled={page >= pages} onClick={() => setParams({ page: String(page + 1) })}>Next</button>
        </nav>
      )}
    </Page>
  );
}
