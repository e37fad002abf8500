import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api, must } from "../api/client";
import { HealthOverview } from "../components/HealthOverview";
import { Badge, Card, Empty, ErrorState, Loading, Page, pct } from "../components/ui";
import { recentItems } from "../lib/recent";
import { useMe } from "../lib/session";
import { useTeams } from "../lib/teams";

/** The architecture's production measure: services not corrected within 7 days of discovery, by week and source. */
function AccuracyTrend() {
  const trend = useQuery({
    queryKey: ["accuracy-trend"],
    queryFn: ({ signal }) => must(api.GET("/api/v1/dashboard/accuracy-trend/", { signal, params: { query: { weeks: 12 } } })),
  });
  return (
    <Card title="Accuracy trend" id="accuracy-title">
      {trend.isPending ? <Loading label="Loading the accuracy trend…" /> : trend.isError ? <ErrorState error={trend.error} retry={() => trend.refetch()} /> : (
        <div className="grid gap-6 lg:grid-cols-3">
          <div className="lg:col-span-2">
            <p className="mb-3 text-sm text-slate-600">Share of the services discovered each week that nobody corrected within {trend.data.window_days} days (a lower bound: a wrong entry nobody corrects counts as right).</p>
            <ol className="flex h-32 items-end gap-1" aria-label="Accuracy by week">
              {trend.data.weeks.map((w) => (
                <li key={w.week} className="flex h-full flex-1 flex-col justify-end" title={`${w.week}: ${w.discovered} discovered, ${w.corrected} corrected`}>
                  <span className="sr-only">Week of {w.week}: {w.accuracy === null ? "nothing discovered" : `${pct(w.accuracy)} of ${w.discovered}${w.open ? " (still open)" : ""}`}</span>
                  <div aria-hidden className={`rounded-t ${w.open ? "bg-indigo-300" : "bg-indigo-600"}`} style={{ height: `${w.accuracy === null ? 0 : Math.max(2, w.accuracy * 100)}%` }} />
                </li>
              ))}
            </ol>
            <p className="mt-1 flex justify-between text-xs text-slate-600" aria-hidden><span>{trend.data.weeks[0]?.week}</span><span>this week</span></p>
          </div>
          <table className="text-left text-sm">
            <caption className="mb-2 text-left text-xs uppercase tracking-wide text-slate-600">By discovering source</caption>
            <thead className="sr-only"><tr><th scope="col">Source</th><th scope="col">Services</th><th scope="col">Accuracy</th></tr></thead>
            <tbody>
              {trend.data.sources.length === 0 ? <tr><td className="py-1 text-slate-600">Nothing discovered in these weeks.</td></tr> : trend.data.sources.slice(0, 8).map((s) => (
                <tr key={s.source} className="border-t border-slate-100">
                  <td className="py-1">{s.source.replace(/_/g, " ")}</td><td className="text-slate-600">{s.discovered}</td>
                  <td className="text-right font-medium">{s.accuracy === null ? "—" : pct(s.accuracy)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function Coverage() {
  const coverage = useQuery({
    queryKey: ["coverage"],
    queryFn: ({ signal }) => must(api.GET("/api/v1/dashboard/ownership-coverage/", { signal })),
  });
  if (coverage.isPending) return <Loading label="Loading ownership coverage…" />;
  if (coverage.isError) return <ErrorState error={coverage.error} retry={() => coverage.refetch()} />;
  const c = coverage.data;
  if (c.total === 0) return <Empty>No services yet. <Link className="link" to="/onboarding">Connect AWS and GitHub</Link> to discover them.</Empty>;
  const teams = c.teams;
  return (
    <div className="space-y-6">
      <section aria-labelledby="coverage-heading" className="grid gap-3 sm:grid-cols-4">
        <h2 id="coverage-heading" className="sr-only">Ownership coverage</h2>
        <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm"><p className="text-sm text-slate-600">Services</p><p className="text-2xl font-semibold">{c.total}</p></div>
        {(["owned", "ambiguous", "unowned"] as const).map((s) => (
          <Link key={s} to={`/services?ownership_status=${s}`} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm hover:border-indigo-300">
            <p className="text-sm capitalize text-slate-600">{s}</p>
            <p className="text-2xl font-semibold">{c[s]} <span className="text-sm font-normal text-slate-600">{pct(c[s] / c.total)}</span></p>
          </Link>
        ))}
      </section>
      <HealthOverview />
      <AccuracyTrend />
      <Card title="Services by team" id="by-team-title">
        <table className="w-full text-left text-sm">
          <thead className="text-xs uppercase tracking-wide text-slate-600">
            <tr><th scope="col" className="py-2">Team</th><th scope="col">Services</th><th scope="col">Owned</th><th scope="col">Ambiguous</th><th scope="col">Unowned</th><th scope="col" className="w-1/4">Coverage</th></tr>
          </thead>
          <tbody>
            {teams.map((t) => {
              const base = t.slug ? `/services?team=${encodeURIComponent(t.slug)}` : "/services?ownership_status=unowned";
              return (
                <tr key={t.slug ?? "none"} className="border-t border-slate-100">
                  <td className="py-2">{t.slug ? <Link className="link font-medium" to={`/teams/${encodeURIComponent(t.slug)}`}>{t.name}</Link> : t.name}</td>
                  <td><Link className="link" to={base}>{t.total}</Link></td>
                  {(["owned", "ambiguous", "unowned"] as const).map((s) => (
                    <td key={s}>{t.slug ? <Link className="link" to={`${base}&ownership_status=${s}`}>{t[s]}</Link> : t[s]}</td>
                  ))}
                  <td>
                    <div className="flex items-center gap-2">
                      <div className="h-1.5 flex-1 rounded-full bg-slate-200" aria-hidden><div className="h-full rounded-full bg-emerald-600" style={{ width: `${t.total ? (t.owned / t.total) * 100 : 0}%` }} /></div>
                      <span className="w-10 text-right text-xs">{pct(t.total ? t.owned / t.total : 0)}</span>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Card>
    </div>
  );
}

function MyTeam() {
  const me = useMe();
  const teams = useTeams();
  const mine = teams.data?.results.filter((t) => me?.teams.includes(t.slug)) ?? [];
  const team = mine[0];
  const services = useQuery({
    queryKey: ["team-services", team?.id],
    enabled: !!team,
    queryFn: ({ signal }) => must(api.GET("/api/v1/teams/{id}/services/", { signal, params: { path: { id: team!.id }, query: { limit: 500 } } })),
  });
  if (!me?.teams.length) return <Empty>You are not in a team yet. Teams come from GitHub sign-in, or an admin sets them. <Link className="link" to="/teams">Browse teams</Link></Empty>;
  if (teams.isPending || (team && services.isPending)) return <Loading />;
  if (teams.isError) return <ErrorState error={teams.error} />;
  if (!team) return <Empty>Your teams ({me.teams.join(", ")}) are not in the catalog yet.</Empty>;
  if (services.isError) return <ErrorState error={services.error} retry={() => services.refetch()} />;
  const list = services.data?.results ?? [];
  return list.length === 0 ? <Empty>{team.name} owns no services yet.</Empty> : (
    <ul className="divide-y divide-slate-100">
      {list.slice(0, 12).map((s) => (
        <li key={s.id} className="flex items-center justify-between py-2 text-sm">
          <Link className="link font-medium" to={`/services/${s.id}`}>{s.name}</Link><Badge value={s.owner.status} />
        </li>
      ))}
      {list.length > 12 && <li className="pt-2 text-sm"><Link className="link" to={`/teams/${encodeURIComponent(team.slug)}`}>All {list.length} services of {team.name}</Link></li>}
    </ul>
  );
}

export function Home() {
  const me = useMe();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const view = params.get("view") === "director" ? "director" : "engineer";
  const recent = recentItems("service");
  return (
    <Page title={`Welcome${me?.first_name ? `, ${me.first_name}` : ""}`} subtitle="Who owns what, where it runs, and how sure we are"
      actions={
        <div role="group" aria-label="View" className="flex rounded-lg border border-slate-300 bg-white p-0.5 text-sm">
          {(["engineer", "director"] as const).map((v) => (
            <button key={v} type="button" aria-pressed={view === v} onClick={() => setParams(v === "engineer" ? {} : { view: v })}
              className={`rounded-md px-3 py-1 ${view === v ? "bg-slate-900 text-white" : "text-slate-700 hover:bg-slate-50"}`}>
              {v === "engineer" ? "My work" : "Overview"}
            </button>
          ))}
        </div>
      }>
      {view === "director" ? <Coverage /> : (
        <div className="space-y-6">
          <form role="search" aria-label="Search the catalog" onSubmit={(e) => { e.preventDefault(); const q = new FormData(e.currentTarget).get("q"); if (q) navigate(`/services?q=${encodeURIComponent(String(q))}`); }}>
            <label htmlFor="home-search" className="label">Find a service</label>
            <input id="home-search" name="q" type="search" className="input py-2.5 text-base" placeholder="Search services, teams and repositories (or press Ctrl K)" />
          </form>
          <div className="grid gap-6 lg:grid-cols-2">
            <Card title="Recently visited" id="recent-title">
              {recent.length === 0 ? <Empty>Services you open appear here.</Empty> : (
                <ul className="divide-y divide-slate-100">
                  {recent.map((r) => <li key={r.id} className="py-2 text-sm"><Link className="link font-medium" to={r.href}>{r.name}</Link>{r.detail && <span className="text-slate-600"> · {r.detail}</span>}</li>)}
                </ul>
              )}
            </Card>
            <Card title="My team's services" id="my-team-title"><MyTeam /></Card>
          </div>
        </div>
      )}
    </Page>
  );
}
