import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useParams } from "react-router-dom";
import { api, must, strings } from "../api/client";
import { Badge, Card, Empty, ErrorState, Loading, Page, pct } from "../components/ui";
import { remember } from "../lib/recent";
import { useTeams } from "../lib/teams";

export default function TeamPage() {
  const { slug = "" } = useParams();
  const teams = useTeams();
  const team = teams.data?.results.find((t) => t.slug === slug);
  const services = useQuery({
    queryKey: ["team-services", team?.id],
    enabled: !!team,
    queryFn: ({ signal }) => must(api.GET("/api/v1/teams/{id}/services/", { signal, params: { path: { id: team!.id }, query: { limit: 500 } } })),
  });
  useEffect(() => { if (team) remember({ type: "team", id: team.slug, name: team.name, href: `/teams/${encodeURIComponent(team.slug)}` }); }, [team]);

  if (teams.isPending) return <Page title="Team"><Loading /></Page>;
  if (teams.isError) return <Page title="Team"><ErrorState error={teams.error} retry={() => teams.refetch()} /></Page>;
  if (!team) return <Page title="Team not found"><Empty>There is no team “{slug}”. <Link className="link" to="/teams">All teams</Link></Empty></Page>;

  const list = services.data?.results ?? [];
  const counts = { owned: 0, ambiguous: 0, unowned: 0 } as Record<string, number>;
  list.forEach((s) => { counts[s.owner.status] = (counts[s.owner.status] ?? 0) + 1; });
  const coverage = list.length ? counts.owned / list.length : null;
  const members = strings(team.members);
  return (
    <Page title={team.name} subtitle={<>{team.description}{team.parent && <> · part of <Link className="link" to={`/teams/${encodeURIComponent(team.parent)}`}>{team.parent}</Link></>}</>}>
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card title="Ownership coverage" id="coverage-title">
            {services.isPending ? <Loading /> : services.isError ? <ErrorState error={services.error} /> : (
              <div className="flex flex-wrap gap-6 text-sm">
                <p><span className="block text-2xl font-semibold">{pct(coverage)}</span>confidently owned</p>
                {(["owned", "ambiguous", "unowned"] as const).map((s) => (
                  <p key={s}><Link className="link block text-2xl font-semibold" to={`/services?team=${encodeURIComponent(team.slug)}&ownership_status=${s}`}>{counts[s]}</Link>{s}</p>
                ))}
              </div>
            )}
          </Card>
          <Card title="Services" id="team-services-title">
            {services.isPending ? <Loading /> : services.isError ? <ErrorState error={services.error} retry={() => services.refetch()} /> : list.length === 0 ? <Empty>This team owns no services yet.</Empty> : (
              <ul className="divide-y divide-slate-100">
                {list.map((s) => (
                  <li key={s.id} className="flex items-center justify-between gap-3 py-2 text-sm">
                    <Link className="link font-medium" to={`/services/${s.id}`}>{s.name}</Link>
                    <span className="flex items-center gap-2 text-slate-700">{pct(s.owner.confidence)} <Badge value={s.owner.status} /></span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
        <Card title="Members" id="members-title">
          {members.length === 0 ? <Empty>No members known.</Empty> : (
            <ul className="space-y-1 text-sm">{members.map((m) => <li key={m}>{m}</li>)}</ul>
          )}
        </Card>
      </div>
    </Page>
  );
}
