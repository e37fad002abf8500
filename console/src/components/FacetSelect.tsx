/** A catalog filter as a select whose options carry the API's facet counts ("prod (12)"). The options are the
 *  known vocabulary (when there is one) plus every value the facet counted, so an open list (environments,
 *  sources) is learned from the catalog itself; the chosen value is always offered, even at 0. */
export function FacetSelect({ id, label, value, onChange, any = "Any", options = [], counts, names = {}, uncounted = [], disabled }: {
  id: string; label: string; value: string; onChange: (value: string) => void; any?: string;
  options?: readonly string[]; counts?: Record<string, number>; names?: Record<string, string>;
  /** values the facet does not count (eol: left out of the list unless asked for), shown without a number */
  uncounted?: readonly string[]; disabled?: boolean;
}) {
  const learned = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([v]) => v);
  const values = [...new Set([...options, ...learned, ...(value ? [value] : [])])];
  const text = (v: string) => {
    const name = names[v] ?? v.replace(/_/g, " ");
    return counts && !uncounted.includes(v) ? `${name} (${(counts[v] ?? 0).toLocaleString()})` : name;
  };
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      <select id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled}>
        <option value="">{any}</option>
        {values.map((v) => <option key={v} value={v}>{text(v)}</option>)}
      </select>
    </div>
  );
}
