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

/** ``q`` and ``s[start, start + len)`` at most one edit apart (insert, delete, substitute, or swap two
 *  neighbours). Linear and allocation-free: it runs for thousands of names on every key with a typo. */
function oneEditAt(q: string, s: string, start: number, len: number): boolean {
  const n = q.length;
  if (Math.abs(n - len) > 1 || start + len > s.length) return false;
  let i = 0;
  while (i < n && i < len && q.charCodeAt(i) === s.charCodeAt(start + i)) i++;
  if (i === n && i === len) return true;
  if (n === len) {
    let j = i + 1; // one substitution at i
    while (j < n && q.charCodeAt(j) === s.charCodeAt(start + j)) j++;
    if (j === n) return true;
    if (i + 1 < n && q.charCodeAt(i) === s.charCodeAt(start + i + 1) && q.charCodeAt(i + 1) === s.charCodeAt(start + i)) {
      let k = i + 2; // neighbours swapped at i
      while (k < n && q.charCodeAt(k) === s.charCodeAt(start + k)) k++;
      return k === n;
    }
    return false;
  }
  let j = i;
  if (n < len) { // one letter more in the name
    while (j < n && q.charCodeAt(j) === s.charCodeAt(start + j + 1)) j++;
    return j === n;
  }
  while (j < len && q.charCodeAt(j + 1) === s.charCodeAt(start + j)) j++; // one letter more in the query
  return j === len;
}

export function oneEdit(a: string, b: string): boolean {
  return oneEditAt(a, b, 0, b.length);
}

interface Scored { entry: Entry; score: number; name: string; spans: MatchSpan[] }
type Match = { score: number; spans: MatchSpan[] } | null;

/** ``q`` (folded, single-spaced) as typed in a folded name: exact, prefix, word start, substring, or every
 *  word starting a word of the name in any order; null when none. */
type Word = { bare: string; spaced: string }; // a query word, and " word" to find it at a word start

function exactMatch(q: string, words: Word[], norm: string): Match {
  if (norm === q) return { score: 100, spans: [{ start: 0, length: q.length }] };
  if (norm.startsWith(q)) return { score: 90, spans: [{ start: 0, length: q.length }] };
  if (q.length === 1) { // one letter: the start of a word only (inside words it matches nearly every name)
    const word = norm.indexOf(` ${q}`);
    return word < 0 ? null : { score: 80, spans: [{ start: word + 1, length: 1 }] };
  }
  const at = norm.indexOf(q);
  if (at > 0) return { score: norm[at - 1] === " " ? 80 : 70, spans: [{ start: at, length: q.length }] };
  if (words.length < 2) return null;
  const starts: number[] = [];
  for (const w of words) { // at the name's start, or at a word start inside it
    const hit = norm.startsWith(w.bare) ? 0 : norm.indexOf(w.spaced) + 1;
    if (hit <= 0 && !norm.startsWith(w.bare)) return null;
    starts.push(hit);
  }
  return { score: 60, spans: starts.map((start, i) => ({ start, length: words[i].bare.length })) };
}

/** One typo against the start of the name or of one of its words; short texts allow a wrong or swapped key
 *  only (same length), or everything would match everything. */
function typoMatch(q: string, norm: string): Match {
  if (q.length < 2) return null;
  const long = q.length >= 4;
  const a = q.charCodeAt(0), b = q.charCodeAt(1);
  const lengths = [q.length, q.length + 1, q.length - 1], same = [q.length];
  for (let start = 0; start < norm.length; start = norm.indexOf(" ", start) + 1 || norm.length) {
    const x = norm.charCodeAt(start), y = norm.charCodeAt(start + 1);
    if (x !== a && y !== b && x !== b && y !== a) continue; // one edit keeps one of the first two letters
    for (const len of long ? lengths : same) {
      if (oneEditAt(q, norm, start, len)) return { score: long ? 50 : 40, spans: [{ start, length: len }] };
    }
  }
  return null;
}

function best(list: Entry[], q: string, limit: number): Scored[] {
  const words: Word[] = q.split(" ").filter(Boolean).map((w) => ({ bare: w, spaced: ` ${w}` })); // once per key
  const found: Scored[] = [];
  const matched = new Set<Entry>();
  const consider = (match: (norm: string) => Match) => {
    for (const entry of list) {
      if (matched.has(entry)) continue;
      let top: Scored | null = null;
      for (let i = 0; i < entry.norms.length; i++) {
        const m = match(entry.norms[i]);
        if (!m) continue;
        const score = i === 0 ? m.score : m.score - 5; // an alias match ranks below the same match of a name
        if (!top || score > top.score) top = { entry, score, name: entry.names[i], spans: m.spans };
      }
      if (top) { found.push(top); matched.add(entry); }
    }
  };
  consider((norm) => exactMatch(q, words, norm));
  // typos rank below every match as typed: look for them only when those do not fill the list
  if (found.length < limit) consider((norm) => typoMatch(q, norm));
  // plain code-point order: localeCompare costs a microsecond a call, and "a" matches thousands of names
  found.sort((x, y) => y.score - x.score || x.entry.names[0].length - y.entry.names[0].length
    || (x.entry.names[0] < y.entry.names[0] ? -1 : x.entry.names[0] > y.entry.names[0] ? 1 : 0));
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
