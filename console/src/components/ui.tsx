import { useEffect, useRef, type ReactNode } from "react";
import { ApiError } from "../api/client";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p role="status" className="flex items-center gap-2 py-6 text-sm text-slate-600">
      <span aria-hidden className="h-3 w-3 animate-spin rounded-full border-2 border-slate-300 border-t-indigo-600" />
      {label}
    </p>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const message = error instanceof Error ? error.message : "Something went wrong.";
  const status = error instanceof ApiError ? error.status : undefined;
  return (
    <div role="alert" className="my-4 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800">
      <p className="font-medium">{status === 404 ? "Not found." : "Could not load this."}</p>
      <p className="mt-1">{message}</p>
      {retry && (
        <button type="button" onClick={retry} className="btn-secondary mt-3">
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">{children}</p>;
}

export function Page({ title, actions, children, subtitle }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; children: ReactNode }) {
  return (
    <main id="main" className="mx-auto w-full max-w-7xl px-4 py-6 sm:px-6">
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          {subtitle && <div className="mt-1 text-sm text-slate-600">{subtitle}</div>}
        </div>
        {actions && <div className="flex items-center gap-2">{actions}</div>}
      </div>
      {children}
    </main>
  );
}

export function Card({ title, id, children, className = "" }: { title: string; id: string; children: ReactNode; className?: string }) {
  return (
    <section aria-labelledby={id} className={`rounded-xl border border-slate-200 bg-white p-5 shadow-sm ${className}`}>
      <h2 id={id} className="mb-3 text-sm font-semibold uppercase tracking-wide text-slate-600">
        {title}
      </h2>
      {children}
    </section>
  );
}

const BADGE: Record<string, string> = {
  owned: "bg-emerald-50 text-emerald-800 ring-emerald-600/20",
  ambiguous: "bg-amber-50 text-amber-900 ring-amber-600/30",
  unowned: "bg-red-50 text-red-800 ring-red-600/20",
  succeeded: "bg-emerald-50 text-emerald-800 ring-emerald-600/20",
  failed: "bg-red-50 text-red-800 ring-red-600/20",
  partial: "bg-amber-50 text-amber-900 ring-amber-600/30",
  running: "bg-indigo-50 text-indigo-800 ring-indigo-600/20",
  queued: "bg-slate-100 text-slate-700 ring-slate-500/20",
  cancelled: "bg-slate-100 text-slate-700 ring-slate-500/20",
  down: "bg-red-50 text-red-800 ring-red-600/20",
  degraded: "bg-amber-50 text-amber-900 ring-amber-600/30",
  healthy: "bg-emerald-50 text-emerald-800 ring-emerald-600/20",
};

export function Badge({ value, children }: { value: string; children?: ReactNode }) {
  const tone = BADGE[value] ?? "bg-slate-100 text-slate-700 ring-slate-500/20";
  return <span className={`inline-flex items-center rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${tone}`}>{children ?? value}</span>;
}

export function pct(value: number | null | undefined): string {
  return value == null ? "—" : `${Math.round(value * 100)}%`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : d.toLocaleString();
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** A modal dialog: focus moves in, Tab stays in, Escape closes, focus returns to the opener. */
export function Dialog({ title, onClose, children, labelId, wide = false, top = false }: {
  title: string; onClose: () => void; children: ReactNode; labelId: string; wide?: boolean; top?: boolean; }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const node = ref.current;
    const first = node?.querySelector<HTMLElement>("[data-autofocus]") ?? node?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    return () => opener?.focus?.();
  }, []);
  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === "Escape") {
      e.stopPropagation();
      onClose();
    } else if (e.key === "Tab" && ref.current) {
      const items = Array.from(ref.current.querySelectorAll<HTMLElement>(FOCUSABLE));
      if (!items.length) return;
      const first = items[0], last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  }
  return (
    <div className={`fixed inset-0 z-50 flex justify-center bg-slate-900/40 px-4 ${top ? "items-start pt-[12vh]" : "items-center"}`}
      onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <div ref={ref} role="dialog" aria-modal="true" aria-labelledby={labelId} onKeyDown={onKeyDown}
        className={`w-full ${wide ? "max-w-2xl" : "max-w-lg"} rounded-xl border border-slate-200 bg-white shadow-xl`}>
        <h2 id={labelId} className={top ? "sr-only" : "border-b border-slate-200 px-5 py-4 text-base font-semibold"}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
