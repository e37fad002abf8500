import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { api, must, type MatchSpan, type SearchResponse } from "../api/client";

/**
 * The palette's local index (GET /api/v1/services/search/index, search/palette.py) and the matcher that
 * answers a keystroke from it in a few milliseconds, before the search endpoint's answer arrives.
 * The server stays the authority (typos beyond one edit, descriptions, tags, ranking); this only has to
 * find what the name says, in the shape of a search answer so the palette renders both the same way.
 */
export interface PaletteIndexBody {
  truncated: boolean;
  fields: { services: string[]; teams: string[]; repositories: string[] };
  services: unknown[][];
  teams: unknown[][];
  repositories: unknown[][];
}

interface Entry {
  row: Record<string, unknown>;
  names: string[]; // the name, then aliases
  norms: string[]; // each name folded to [a-z0-9 ], same length as the name (so spans map back)
}

export interface PaletteIndex {
  services: Entry[];
  teams: Entry[];
  repositories: Entry[];
}

/** Lowercase, everything but letters and digits a space; the same length as ``text`` so offsets carry over. */
export function fold(text: string): string {
  const lower = text.toLowerCase();
  if (lower.length !== text.length) return text.replace(/[^A-Za-z0-9]/g, " ").toLowerCase();
  return lower.replace(/[^a-z0-9]/g, " ");
}

function entries(rows: unknown[][], fields: string[], nameKeys: string[], aliasKey?: string): Entry[] {
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    fields.forEach((f, i) => { row[f] = values[i]; });
    const names = nameKeys.map((k) => row[k]).filter((v): v is string => typeof v === "string" && v.length > 0);
    const aliases = aliasKey && Array.isArray(row[aliasKey]) ? (row[aliasKey] as unknown[]).filter((a): a is string => typeof a === "string") : [];
    const all = [...new Set([...names, ...aliases])];
    return { row, names: all, norms: all.map(fold) };
  });
}

/** A repository row as sent ([name, ...]) with its id (the name) and short name ("org/x" -> "x") appended. */
function withShortName(fields: string[]) {
  const at = fields.indexOf("name");
  return (row: unknown[]) => {
    const name = String(row[at] ?? "");
    return [...row, name, name.slice(name.lastIndexOf("/") + 1)];
  };
}

export function buildIndex(body: PaletteIndexBody): PaletteIndex | null {
  if (!body || body.truncated || !body.fields) return null;
  return {
    services: entries(body.services ?? [], body.fields.services, ["name"], "aliases"),
    teams: entries(body.teams ?? [], body.fields.teams, ["display_name", "name"]),
    repositories: entries((body.repositories ?? []).map(withShortName(body.fields.repositories)),
      [...body.fields.repositories, "id", "repo_name"], ["repo_name", "name"]),
  };
}

/** At most one edit apart (insert, delete, substitute, or swap two neighbours): linear, no allocation. */
export function oneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (long.length - short.length > 1) return false;
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  if (short.length === long.length) {
    if (short.slice(i + 1) === long.slice(i + 1)) return true; // one substitution
    return i + 1 < short.length && short[i] === long[i + 1] && short[i + 1] === long[i]
      && short.slice(i + 2) === long.slice(i + 2); // neighbours swapped
  }
  return short.slice(i) === long.slice(i + 1); // one insertion into the shorter
}

interface Scored { entry: Entry; score: number; name: string; spans: MatchSpan[] }

/** How well ``q`` (folded, single-spaced) matches a folded name: 0 for no match, else higher is better. */
function scoreName(q: string, words: string[], norm: string): { score: number; spans: MatchSpan[] } {
  if (norm === q) return { score: 100, spans: [{ start: 0, length: q.length }] };
  if (norm.startsWith(q)) return { score: 90, spans: [{ start: 0, length: q.length }] };
  const at = norm.indexOf(q);
  if (at > 0) return { score: norm[at - 1] === " " ? 80 : 70, spans: [{ start: at, length: q.length }] };
  if (words.length > 1) { // every word of the query starts a word of the name, in any order
    const spans: MatchSpan[] = [];
    for (const w of words) {
      const hit = norm.startsWith(w) ? 0 : norm.indexOf(` ${w}`) + 1;
      if (hit <= 0 && !norm.startsWith(w)) return { score: 0, spans: [] };
      spans.push({ start: hit, length: w.length });
    }
    return { score: 60, spans };
  }
  if (q.length >= 2) { // one typo against the start of the name or of one of its words
    // short texts: a wrong or swapped key only (same length), or everything would match everything
    const lengths = q.length >= 4 ? [q.length, q.length + 1, q.length - 1] : [q.length];
    let start = 0;
    while (start >= 0 && start < norm.length) {
      for (const len of lengths) {
        const piece = norm.slice(start, start + len);
        if (piece.length === len && (piece[0] === q[0] || piece[1] === q[1] || piece[0] === q[1] || piece[1] === q[0])
          && oneEdit(q, piece)) return { score: q.length >= 4 ? 50 : 40, spans: [{ start, length: len }] };
      }
      const next = norm.indexOf(" ", start);
      start = next < 0 ? -1 : next + 1;
    }
  }
  return { score: 0, spans: [] };
}

function best(list: Entry[], q: string, limit: number): Scored[] {
  const words = q.split(" ").filter(Boolean);
  const found: Scored[] = [];
  for (const entry of list) {
    let top: Scored | null = null;
    entry.norms.forEach((norm, i) => {
      const { score, spans } = scoreName(q, words, norm);
      const adjusted = i === 0 ? score : score - 5; // an alias match ranks below the same match of a name
      if (score > 0 && (!top || adjusted > top.score)) top = { entry, score: adjusted, name: entry.names[i], spans };
    });
    if (top) found.push(top);
  }
  found.sort((a, b) => b.score - a.score || a.entry.names[0].length - b.entry.names[0].length
    || a.entry.names[0].localeCompare(b.entry.names[0]));
  return found.slice(0, limit);
}

/** Spans in the repository's full name ("org/name") for a match of either its name or its full name. */
function repoSpans(s: Scored): MatchSpan[] {
  const full = String(s.entry.row.name ?? "");
  if (s.name === full) return s.spans;
  const shift = full.endsWith(s.name) ? full.length - s.name.length : -1;
  return shift < 0 ? [] : s.spans.map((span) => ({ ...span, start: span.start + shift }));
}

/** The index's answer to ``text`` in the search API's shape (services, then teams and repositories). */
export function searchLocally(index: PaletteIndex, text: string, limit = 8): SearchResponse {
  const q = fold(text).trim().replace(/ +/g, " ");
  const services = q ? best(index.services, q, limit) : [];
  const teams = q ? best(index.teams, q, 3) : [];
  const repositories = q ? best(index.repositories, q, 3) : [];
  const spansFor = (s: Scored, field: string) => (s.name === s.entry.row[field] ? { [field]: s.spans } : {});
  return {
    query: text, limit, backend: "local", cached: true, processingTimeMs: 0, estimatedTotalHits: services.length,
    facets: {},
    hits: services.map((s) => ({ ...s.entry.row, type: "service", _matchesPosition: spansFor(s, "name") })),
    teams: teams.map((s) => ({ ...s.entry.row, type: "team", _matchesPosition: spansFor(s, "display_name") })),
    repositories: repositories.map((s) => ({
      ...s.entry.row, type: "repository", services: Array.isArray(s.entry.row.services) ? s.entry.row.services : [],
      _matchesPosition: { name: repoSpans(s) },
    })),
  } as unknown as SearchResponse;
}

const INDEX_KEY = ["palette-index"];

function indexQuery() {
  return {
    queryKey: INDEX_KEY,
    // revalidated with its ETag: unchanged, the browser's cache answers for the price of a 304
    queryFn: async ({ signal }: { signal: AbortSignal }) =>
      buildIndex(await must(api.GET("/api/v1/services/search/index", { signal })) as unknown as PaletteIndexBody),
    staleTime: 60_000,
    retry: false,
  };
}

/** The local index, or null while it loads, when it failed or when the catalog is too big for it. */
export function usePaletteIndex(): PaletteIndex | null {
  const query = useQuery(indexQuery());
  return query.data ?? null;
}

/** Load the index once the page is idle, so the palette answers its first key locally. */
export function usePrefetchPaletteIndex(enabled: boolean): void {
  const client: QueryClient = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    const idle = window.requestIdleCallback ?? ((fn: () => void) => window.setTimeout(fn, 200));
    const cancel = window.cancelIdleCallback ?? window.clearTimeout;
    const handle = idle(() => { void client.prefetchQuery(indexQuery()); });
    return () => cancel(handle);
  }, [client, enabled]);
}
