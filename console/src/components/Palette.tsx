import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, must, type SearchResponse } from "../api/client";
import { searchLocally, usePaletteIndex } from "../lib/paletteIndex";
import { recentItems, remember, type RecentItem } from "../lib/recent";
import { useDebounced } from "../lib/useDebounced";
import { Highlight } from "./Highlight";
import { Dialog } from "./ui";

interface Option {
  key: string;
  group: string;
  item: RecentItem;
  label: JSX.Element;
  detail: string;
}

export function searchOptions(data: SearchResponse | undefined): Option[] {
  if (!data) return [];
  const options: Option[] = [];
  for (const hit of data.hits) {
    options.push({
      key: `s:${hit.id}`, group: "Services",
      item: { type: "service", id: hit.id, name: hit.name, href: `/services/${encodeURIComponent(hit.id)}`, detail: hit.team_name },
      label: <Highlight text={hit.name} spans={hit._matchesPosition?.name} />,
      detail: [hit.team_name || "no owner", hit.lifecycle, hit.repo].filter(Boolean).join(" · "),
    });
  }
  for (const team of data.teams) {
    options.push({
      key: `t:${team.id}`, group: "Teams",
      item: { type: "team", id: team.name, name: team.display_name || team.name, href: `/teams/${encodeURIComponent(team.name)}` },
      label: <Highlight text={team.display_name || team.name} spans={team._matchesPosition?.display_name} />,
      detail: `${team.services_count} services · ${team.members_count} members`,
    });
  }
  for (const repo of data.repositories) {
    const href = repo.services.length === 1
      ? `/services?q=${encodeURIComponent(repo.services[0])}`
      : `/services?q=${encodeURIComponent(repo.repo_name || repo.name)}`;
    options.push({
      key: `r:${repo.id}`, group: "Repositories",
      item: { type: "repository", id: repo.id, name: repo.name, href },
      label: <Highlight text={repo.name} spans={repo._matchesPosition?.name} />,
      detail: [repo.team_name, repo.services.join(", ")].filter(Boolean).join(" · "),
    });
  }
  return options;
}

/** Cmd/Ctrl+K: services, teams and repositories as you type (GET /api/v1/services/search), recent items when empty. */
export function Palette({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [text, setText] = useState("");
  const [active, setActive] = useState(0);
  // a short debounce: bursts of keys coalesce, a single key renders at once (stale answers are cancelled)
  const q = useDebounced(text.trim(), 25);
  const search = useQuery({
    queryKey: ["search", q],
    // the signal cancels a stale request when the query changes
    queryFn: ({ signal }) => must(api.GET("/api/v1/services/search", { params: { query: { q, limit: 8 } }, signal })),
    enabled: q.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  // The local index answers the key at once; the server's answer for the same text replaces it when it
  // arrives (typos, descriptions, ranking). Without an index, the last server answer stays until the next.
  const index = usePaletteIndex();
  const typed = text.trim();
  const serverCurrent = Boolean(search.data) && !search.isPlaceholderData && q === typed;
  const local = useMemo(() => (index && typed && !serverCurrent ? searchLocally(index, typed) : undefined),
    [index, typed, serverCurrent]);
  const shown = serverCurrent ? search.data : local ?? search.data;
  const shownFor = serverCurrent || local ? typed : search.data ? q : "";
  const options: Option[] = useMemo(() => {
    if (!typed) {
      return recentItems().map((item) => ({
        key: `recent:${item.type}:${item.id}`, group: "Recent", item, label: <>{item.name}</>, detail: item.type,
      }));
    }
    return searchOptions(shown);
  }, [typed, shown]);
  const current = Math.min(active, Math.max(options.length - 1, 0));

  function open(option: Option | undefined) {
    if (!option) return;
    remember(option.item);
    onClose();
    navigate(option.item.href);
  }

  function onKeyDown(e: React.KeyboardEvent<HTMLInputElement>) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((current + 1) % Math.max(options.length, 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((current - 1 + options.length) % Math.max(options.length, 1));
    } else if (e.key === "Enter") {
      e.preventDefault();
      open(options[current]);
    }
  }

  const groups = [...new Set(options.map((o) => o.group))];
  const optionId = (o: Option) => `palette-${o.key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  // an empty local answer is not "no results" yet: the server may still find it (typos, descriptions)
  const status = !typed
    ? options.length ? "" : "Type to search services, teams and repositories."
    : options.length > 0 ? ""
    : search.isError ? `Search failed: ${search.error.message}`
    : !serverCurrent ? "Searching…"
    : `No results for “${typed}”.`;

  return (
    <Dialog title="Search" labelId="palette-title" onClose={onClose} wide top>
      <div className="border-b border-slate-200 p-3">
        <input
          data-autofocus
          role="combobox"
          aria-expanded={options.length > 0}
          aria-controls="palette-listbox"
          aria-autocomplete="list"
          aria-activedescendant={options[current] ? optionId(options[current]) : undefined}
          aria-label="Search services, teams and repositories"
          placeholder="Search services, teams and repositories…"
          className="w-full rounded-md border-0 px-2 py-2 text-base outline-none ring-0 placeholder:text-slate-500 focus:ring-2 focus:ring-indigo-600/40"
          value={text}
          onChange={(e) => { setText(e.target.value); setActive(0); }}
          onKeyDown={onKeyDown}
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <div id="palette-listbox" role="listbox" aria-label="Results" data-query={shownFor}
        data-source={serverCurrent ? "server" : local ? "local" : "previous"} className="max-h-[60vh] overflow-y-auto p-2">
        {groups.map((group) => (
          <div role="group" aria-labelledby={`palette-group-${group}`} key={group} className="mb-1">
            <div id={`palette-group-${group}`} role="presentation" className="px-2 pb-1 pt-2 text-xs font-semibold uppercase tracking-wide text-slate-600">{group}</div>
            {options.filter((o) => o.group === group).map((o) => {
              const index = options.indexOf(o);
              const selected = index === current;
              return (
                <div
                  key={o.key}
                  id={optionId(o)}
                  role="option"
                  aria-selected={selected}
                  onMouseMove={() => setActive(index)}
                  onClick={() => open(o)}
                  ref={(el) => { if (selected && el) el.scrollIntoView({ block: "nearest" }); }}
                  className={`flex cursor-pointer items-baseline justify-between gap-3 rounded-md px-2 py-2 text-sm ${selected ? "bg-indigo-50 text-indigo-950" : "text-slate-800"}`}
                >
                  <span className="truncate font-medium">{o.label}</span>
                  <span className="shrink-0 truncate text-xs text-slate-600">{o.detail}</span>
                </div>
              );
            })}
          </div>
        ))}
      </div>
      <p role="status" aria-live="polite" className={status ? "px-4 pb-4 text-sm text-slate-600" : "sr-only"}>{status}</p>
      <p className="border-t border-slate-200 px-4 py-2 text-xs text-slate-600">↑↓ to move · Enter to open · Esc to close</p>
    </Dialog>
  );
}
