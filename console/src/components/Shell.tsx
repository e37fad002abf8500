import { useEffect, useState, type ReactNode } from "react";
import { Link, NavLink, useLocation } from "react-router-dom";
import { usePrefetchPaletteIndex } from "../lib/paletteIndex";
import { useMe } from "../lib/session";
import { Palette } from "./Palette";

const NAV = [
  { to: "/", label: "Home", end: true },
  { to: "/services", label: "Services" },
  { to: "/teams", label: "Teams" },
  { to: "/runs", label: "Runs" },
];

export function Shell({ children }: { children: ReactNode }) {
  const me = useMe();
  const [palette, setPalette] = useState(false);
  const location = useLocation();
  usePrefetchPaletteIndex(Boolean(me));
  const mac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if ((e.metaKey || e.ctrlKey) && !e.altKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setPalette((open) => !open);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // A new page closes the palette; a page writing its own state into the query string (filters) does not.
  useEffect(() => setPalette(false), [location.pathname]);

  const name = me ? [me.first_name, me.last_name].filter(Boolean).join(" ") || me.username : "";
  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header role="banner" className="sticky top-0 z-40 border-b border-slate-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4 sm:px-6">
          <Link to="/" className="flex items-center gap-2 font-semibold text-slate-900">
            <span aria-hidden className="h-5 w-5 rounded-md bg-indigo-600" />
            Roster
          </Link>
          <nav aria-label="Main" className="flex items-center gap-1 text-sm">
            {NAV.map((item) => (
              <NavLink key={item.to} to={item.to} end={item.end}
                className={({ isActive }) => `rounded-md px-2.5 py-1.5 font-medium ${isActive ? "bg-slate-100 text-slate-900" : "text-slate-700 hover:bg-slate-50 hover:text-slate-900"}`}>
                {item.label}
              </NavLink>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3">
            <button type="button" onClick={() => setPalette(true)} aria-keyshortcuts="Control+K Meta+K"
              className="flex items-center gap-6 rounded-lg border border-slate-300 bg-slate-50 px-3 py-1.5 text-sm text-slate-700 hover:bg-white">
              Search
              <kbd aria-hidden className="rounded border border-slate-300 bg-white px-1.5 text-xs text-slate-600">{mac ? "⌘K" : "Ctrl K"}</kbd>
            </button>
            {me && (
              <div className="flex items-center gap-2 text-sm" data-testid="current-user">
                <span className="font-medium text-slate-900">{name}</span>
                <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">{me.role ?? "no role"}</span>
                <a href="/accounts/logout/" className="link text-xs">Sign out</a>
              </div>
            )}
          </div>
        </div>
      </header>
      {children}
      {palette && <Palette onClose={() => setPalette(false)} />}
    </div>
  );
}
