import type { MatchSpan } from "../api/client";

/** ``text`` with the spans the search matched in <mark>. Offsets come from the API; out-of-range ones are dropped. */
export function Highlight({ text, spans }: { text: string; spans?: MatchSpan[] }) {
  const valid = (spans ?? [])
    .filter((s) => s.start >= 0 && s.length > 0 && s.start < text.length)
    .sort((a, b) => a.start - b.start);
  if (!valid.length) return <>{text}</>;
  const parts: JSX.Element[] = [];
  let at = 0;
  valid.forEach((s, i) => {
    const start = Math.max(s.start, at);
    const end = Math.min(s.start + s.length, text.length);
    if (end <= start) return;
    if (start > at) parts.push(<span key={`t${i}`}>{text.slice(at, start)}</span>);
    parts.push(<mark key={`m${i}`} className="rounded-sm bg-yellow-200 px-0 text-inherit">{text.slice(start, end)}</mark>);
    at = end;
  });
  if (at < text.length) parts.push(<span key="rest">{text.slice(at)}</span>);
  return <>{parts}</>;
}
