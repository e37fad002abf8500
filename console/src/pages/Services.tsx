import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, must, strings } from "../api/client";
import type { paths } from "../api/schema";
import { Badge, Empty, ErrorState, Loading, Page, pct } from "../components/ui";
import { FacetSelect } from "../components/FacetSelect";
import { HEALTHS, LIFECYCLES, OWNERSHIP_STATUSES, TIERS } from "../lib/options";
import { useTeams } from "../lib/teams";

export const PAGE_SIZE = 500; // the API's ceiling (portal.pagination); rows are virtualized

export interface Row {
  id: string;
  name: string;
  team: string;
  teamSlug: string;
  status: string;
  confidence: number | null;
  lifecycle: string;
  tier: string;
  repo: string;
  language: string;
}

const COLUMNS: { key: keyof Row; label: string; width: string }[] = [
  { key: "name", label: "Name", width: "minmax(14rem,2fr)" },
  { key: "team", label: "Owner", width: "minmax(9rem,1fr)" },
  { key: "status", label: "Ownership", width: "7.5rem" },
  { key: "confidence", label: "Confidence", width: "6.5rem" },
  { key: "lifecycle", label: "Lifecycle", width: "7.5rem" },
  { key: "tier", label: "Tier", width: "7rem" },
  { key: "repo", label: "Repository", width: "minmax(10rem,1.5fr)" },
  { key: "language", label: "Language", width: "7rem" },
];
type ServiceOrdering = NonNullable<NonNullable<paths["/api/v1/services/"]["get"]["parameters"]["query"]>["ordering"]>;
// column -> the API's ?ordering= (catalog/api/filters.py); language is sorted within the page only
const SERVER_ORDER: Record<string, string> = Object.fromEntries(
  ["name", "team", "status", "confidence", "lifecycle", "tier", "repo"].flatMap((k) => [[k, k], [`-${k}`, `-${k}`]]),
);
const DEFAULT_COLUMNS = ["name", "team", "status", "confidence", "lifecycle", "tier", "repo"];
const FILTERS = ["team", "lifecycle", "tier", "ownership_status", "health", "environment", "source"] as const;
type Facets = NonNullable<paths["/api/v1/services/"]["get"]["responses"][200]["content"]["application/json"]["facets"]>;

/** The catalog: filters, sort, page and columns are all in the URL (?team=&lifecycle=&tier=&ownership_status=&health=
 *  &environment=&source=&q=&ordering=&page=&columns=); each filter's options carry the API's facet counts. */
export default function Services() {
  const [params, setParams] = useSearchParams();
  const teams = useTeams();
  const q = params.get("q") ?? "";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const ordering = params.get("ordering") ?? "";
  const columns = (params.get("columns") ?? DEFAULT_COLUMNS.join(",")).split(",").filter((c) => COLUMNS.some((col) => col.key === c));
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""])) as Record<(typeof FILTERS)[number], string>;

  function update(changes: Record<string, string>, keepPage = false) {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) v ? next.set(k, v) : next.delete(k);
    if (!keepPage) next.delete("page");
    setParams(next, { replace: false });
  }

  const list = useQuery({
    queryKey: ["services", { q, page, ordering, ...filters }],
    placeholderData: keepPreviousData,
    queryFn: async ({ signal }): Promise<{ count: number; rows: Row[]; facets?: Facets }> => {
      if (q) {
        // free text goes to the search API (typo-tolerant), which knows no ownership, environment or source filter
        const data = await must(api.GET("/api/v1/services/search", { signal, params: { query: {
          q, limit: 50, ...(filters.team && { team: filters.team }), ...(filters.lifecycle && { lifecycle: filters.lifecycle }),
          ...(filters.tier && { tier: filters.tier }), ...(filters.health && { health: filters.health }) } } }));
        const rows = data.hits.map((h) => ({ id: h.id, name: h.name, team: h.team_name, teamSlug: h.team_slug, status: "", confidence: h.owner_confidence,
          lifecycle: h.lifecycle, tier: h.tier, repo: h.repo, language: h.language }));
        return { count: rows.length, rows };
      }
      const data = await must(api.GET("/api/v1/services/", { signal, params: { query: {
        limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, facets: true,
        ...(SERVER_ORDER[ordering] && { ordering: [SERVER_ORDER[ordering]] as ServiceOrdering }),
        ...(filters.team && { team: filters.team }),
        ...(filters.lifecycle && { lifecycle: filters.lifecycle as (typeof LIFECYCLES)[number] }),
        ...(filters.tier && { tier: filters.tier as (typeof TIERS)[number] }),
        ...(filters.ownership_status && { ownership_status: filters.ownership_status as (typeof OWNERSHIP_STATUSES)[number] }),
        ...(filters.health && { health: filters.health as (typeof HEALTHS)[number] }),
        ...(filters.environment && { environment: filters.environment }),
        ...(filters.source && { source: filters.source }),
      } } }));
      return { count: data.count, rows: data.results.map((s) => ({ id: s.id, name: s.name, team: s.owner.name ?? "", teamSlug: s.owner.slug ?? "",
        status: s.owner.status, confidence: s.owner.confidence, lifecycle: s.lifecycle ?? "", tier: s.tier ?? "", repo: s.repo ?? "",
        language: strings(s.tech_stack)[0] ?? "" })), facets: data.facets };
    },
  });

  const rows = useMemo(() => {
    const all = list.data?.rows ?? [];
    // the whole catalog is sorted by the API; search results (and the language column) only within the page
    if (!ordering || (!q && SERVER_ORDER[ordering])) return all;
    const desc = ordering.startsWith("-");
    const key = ordering.replace(/^-/, "") as keyof Row;
    return [...all].sort((a, b) => {
      const x = a[key] ?? "", y = b[key] ?? "";
      const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return desc ? -cmp : cmp;
    });
  }, [list.data, ordering, q]);

  // counts of the plain list (the search API's answer has its own): none while searching
  const facets = q ? undefined : list.data?.facets;
  const teamNames = useMemo(() => Object.fromEntries((teams.data?.results ?? []).map((t) => [t.slug, t.name])), [teams.data]);
  const visible = COLUMNS.filter((c) => columns.includes(c.key));
  const template = visible.map((c) => c.width).join(" ");
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => 41, overscan: 12,
    initialRect: { width: 1000, height: 640 },
  });
  const pages = list.data ? Math.max(1, Math.ceil(list.data.count / PAGE_SIZE)) : 1;

  function sortBy(key: string) {
    update({ ordering: ordering === key ? `-${key}` : ordering === `-${key}` ? "" : key }, true);
  }

  return (
    <Page title="Services" subtitle={list.data ? `${list.data.count.toLocaleString()} services${q ? ` matching “${q}”` : ""}` : "The catalog"}>
      <form role="search" aria-label="Filter services" className="mb-4 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <div className="min-w-[14rem] flex-1">
          <label htmlFor="filter-q" className="label">Search</label>
          <input id="filter-q" type="search" className="input" defaultValue={q} key={q} placeholder="Name, repository, team…"
            onKeyDown={(e) => { if (e.key === "Enter") update({ q: e.currentTarget.value.trim() }); }}
            onBlur={(e) => { if (e.currentTarget.value.trim() !== q) update({ q: e.currentTarget.value.trim() }); }} />
        </div>
        <FacetSelect id="filter-team" label="Team" any="All teams" value={filters.team} onChange={(v) => update({ team: v })}
          options={teams.data?.results.map((t) => t.slug) ?? []} names={teamNames} counts={facets?.team} />
        <FacetSelect id="filter-lifecycle" label="Lifecycle" any="Any (not eol)" value={filters.lifecycle} onChange={(v) => update({ lifecycle: v })}
          options={LIFECYCLES} counts={facets?.lifecycle} uncounted={["eol"]} />
        <FacetSelect id="filter-tier" label="Tier" value={filters.tier} onChange={(v) => update({ tier: v })} options={TIERS} counts={facets?.tier} />
        <FacetSelect id="filter-status" label="Ownership" value={filters.ownership_status} onChange={(v) => update({ ownership_status: v })}
          options={OWNERSHIP_STATUSES} counts={facets?.ownership_status} disabled={!!q} />
        <FacetSelect id="filter-health" label="Health" value={filters.health} onChange={(v) => update({ health: v })} options={HEALTHS} counts={facets?.health} />
        <FacetSelect id="filter-environment" label="Environment" value={filters.environment} onChange={(v) => update({ environment: v })}
          counts={facets?.environment} disabled={!!q} />
        <FacetSelect id="filter-source" label="Source" value={filters.source} onChange={(v) => update({ source: v })}
          counts={facets?.source} disabled={!!q} />
        <details className="relative">
          <summary className="btn-secondary cursor-pointer list-none">Columns</summary>
          <fieldset className="absolute right-0 z-20 mt-1 w-48 space-y-1 rounded-lg border border-slate-200 bg-white p-3 shadow-lg">
            <legend className="sr-only">Columns</legend>
            {COLUMNS.map((c) => (
              <label key={c.key} className="flex items-center gap-2 text-sm">
                <input type="checkbox" aria-label={`Show the ${c.label} column`} checked={columns.includes(c.key)} disabled={c.key === "name"}
                  onChange={(e) => update({ columns: (e.target.checked ? [...columns, c.key] : columns.filter((k) => k !== c.key)).join(",") }, true)} />
                {c.label}
              </label>
            ))}
          </fieldset>
        </details>
        {(q || FILTERS.some((f) => filters[f])) && <button type="button" className="btn-secondary" onClick={() => setParams(new URLSearchParams())}>Clear filters</button>}
      </form>

      {list.isPending ? <Loading label="Loading services…" /> : list.isError ? <ErrorState error={list.error} retry={() => list.refetch()} /> : rows.length === 0 ? (
        <Empty>No services match these filters.</Empty>
      ) : (
        <div role="table" aria-label="Services" aria-rowcount={rows.length + 1} className="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
          <div role="rowgroup" className="border-b border-slate-200 bg-slate-50">
            <div role="row" aria-rowindex={1} className="grid text-left text-xs font-semibold uppercase tracking-wide text-slate-600" style={{ gridTemplateColumns: template }}>
              {visible.map((c) => {
                const sort = ordering === c.key ? "ascending" : ordering === `-${c.key}` ? "descending" : "none";
                return (
                  <div role="columnheader" aria-sort={sort} key={c.key} className="px-3 py-2">
                    <button type="button" onClick={() => sortBy(c.key)} className="flex items-center gap-1 uppercase hover:text-slate-900">
                      {c.label}<span aria-hidden>{sort === "ascending" ? "↑" : sort === "descending" ? "↓" : ""}</span>
                    </button>
                  </div>
                );
              })}
            </div>
          </div>
          <div ref={scroller} role="rowgroup" className="max-h-[65vh] overflow-y-auto" data-testid="services-scroller">
            <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
              {virtualizer.getVirtualItems().map((v) => {
                const r = rows[v.index];
                return (
                  <div role="row" aria-rowindex={v.index + 2} key={r.id} className="absolute left-0 grid w-full items-center border-b border-slate-100 text-sm hover:bg-slate-50"
                    style={{ gridTemplateColumns: template, height: v.size, transform: `translateY(${v.start}px)` }}>
                    {visible.map((c) => (
                      <div role="cell" key={c.key} className="truncate px-3">
                        {c.key === "name" ? <Link className="link font-medium" to={`/services/${r.id}`}>{r.name}</Link>
                          : c.key === "team" ? (r.teamSlug ? <Link className="link" to={`/teams/${encodeURIComponent(r.teamSlug)}`}>{r.team}</Link> : <span className="text-slate-600">none</span>)
                          : c.key === "status" ? (r.status ? <Badge value={r.status} /> : "—")
                          : c.key === "confidence" ? pct(r.confidence)
                          : String(r[c.key] || "—")}
                      </div>
                    ))}
                  </div>
                );
              })}
            </div>
          </div>
        </div>
      )}
      {!q && pages > 1 && (
        <nav aria-label="Pages" className="mt-4 flex items-center justify-end gap-2 text-sm">
          <button type="button" className="btn-secondary" disabled={page <= 1} onClick={() => update({ page: String(page - 1) }, true)}>Previous</button>
          <span>Page {page} of {pages}</span>
          <button type="button" className="btn-secondary" disabled={page >= pages} onClick={() => update({ page: String(page + 1) }, true)}>Next</button>
        </nav>
      )}
      {ordering && (q || !SERVER_ORDER[ordering]) && <p className="mt-2 text-xs text-slate-600">Sorted within this page.</p>}
    </Page>
  );
}
