import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, must } from "../api/client";
import { HEALTHS } from "../lib/options";
import { Badge, Card, ErrorState, Loading, pct } from "./ui";

const TONE: Record<string, string> = { healthy: "bg-emerald-600", degraded: "bg-amber-500", down: "bg-red-600", unknown: "bg-slate-300" };

/** The director view's services by health (from their CloudWatch alarms), each state a link to those services,
 *  and the worst services by name. */
export function HealthOverview() {
  const health = useQuery({
    queryKey: ["health-overview"],
    queryFn: ({ signal }) => must(api.GET("/api/v1/dashboard/health/", { signal })),
  });
  return (
    <Card title="Health" id="health-title">
      {health.isPending ? <Loading label="Loading service health…" /> : health.isError ? <ErrorState error={health.error} retry={() => health.refetch()} /> : (
        <div className="grid gap-6 lg:grid-cols-2">
          <div>
            <p className="mb-3 text-sm text-slate-600">Services by the state of their alarms ({health.data.total.toLocaleString()} services; unknown: no alarm found).</p>
            <div className="mb-3 flex h-2 overflow-hidden rounded-full bg-slate-100" aria-hidden>
              {HEALTHS.map((h) => <div key={h} className={TONE[h]} style={{ width: `${health.data.total ? (health.data[h] / health.data.total) * 100 : 0}%` }} />)}
            </div>
            <ul className="grid grid-cols-2 gap-2" aria-label="Services by health">
              {HEALTHS.map((h) => (
                <li key={h}>
                  <Link to={`/services?health=${h}`} className="flex items-center justify-between rounded-lg border border-slate-200 px-3 py-2 text-sm hover:border-indigo-300">
                    <span className="flex items-center gap-2 capitalize"><span aria-hidden className={`h-2 w-2 rounded-full ${TONE[h]}`} />{h}</span>
                    <span><strong>{health.data[h].toLocaleString()}</strong> <span className="text-xs text-slate-600">{pct(health.data.total ? health.data[h] / health.data.total : 0)}</span></span>
                  </Link>
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h3 className="mb-2 text-sm font-medium text-slate-900" id="unhealthy-title">Needs attention</h3>
            {health.data.unhealthy.length === 0 ? <p className="text-sm text-slate-600">No service is down or degraded.</p> : (
              <ul aria-labelledby="unhealthy-title" className="divide-y divide-slate-100">
                {health.data.unhealthy.map((s) => (
                  <li key={s.id} className="flex items-center justify-between gap-3 py-2 text-sm">
                    <span className="min-w-0 truncate">
                      <Link className="link font-medium" to={`/services/${s.id}`}>{s.name}</Link>
                      <span className="text-slate-600"> · {s.tier} · {s.team_slug ? <Link className="link" to={`/teams/${encodeURIComponent(s.team_slug)}`}>{s.team_name}</Link> : "no owner"}</span>
                    </span>
                    <Badge value={s.health} />
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>
      )}
    </Card>
  );
}
