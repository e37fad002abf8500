import { Link } from "react-router-dom";
import { Empty, ErrorState, Loading, Page } from "../components/ui";
import { useTeams } from "../lib/teams";

export default function Teams() {
  const teams = useTeams();
  return (
    <Page title="Teams" subtitle="Teams from GitHub and the ones ownership signals name">
      {teams.isPending ? <Loading label="Loading teams…" /> : teams.isError ? <ErrorState error={teams.error} retry={() => teams.refetch()} />
        : teams.data.results.length === 0 ? <Empty>No teams yet: connect GitHub and run discovery.</Empty> : (
        <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {teams.data.results.map((t) => (
            <li key={t.id} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
              <Link className="link text-base font-semibold" to={`/teams/${encodeURIComponent(t.slug)}`}>{t.name}</Link>
              <p className="mt-1 line-clamp-2 text-sm text-slate-700">{t.description || "No description."}</p>
              <p className="mt-2 text-xs text-slate-600">
                {t.service_count} services · {Array.isArray(t.members) ? t.members.length : 0} members{t.parent ? ` · part of ${t.parent}` : ""}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
