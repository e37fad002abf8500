import type { ServiceDetail } from "../api/client";

type Relationships = ServiceDetail["relationships"];
type Node = Relationships["nodes"][number];

// kind -> column (left to right: what fronts the service, what runs, what it uses, where it comes from) and a short name
const KINDS: Record<string, [number, string]> = {
  cloudformation_stack: [0, "stack"], apigateway_rest_api: [1, "REST API"], apigateway_http_api: [1, "HTTP API"],
  lambda_function: [2, "function"], ecs_service: [2, "ECS service"], ecs_cluster: [3, "ECS cluster"], sqs_queue: [3, "queue"],
  rds_instance: [3, "database"], rds_cluster: [3, "DB cluster"], ecr_repository: [3, "image"], cloudwatch_alarm: [4, "alarm"],
  github_repository: [4, "repository"],
};
const VERBS: Record<string, string> = { uses_image: "uses image", runs_in: "runs in", built_from: "is built from" };
export const MAX_NODES = 24; // a small graph: the list below it has everything
const W = 168, H = 40, GAP_X = 56, GAP_Y = 14;

export const kindName = (kind: string) => KINDS[kind]?.[1] ?? kind.replace(/_/g, " ");
export const verb = (relation: string) => VERBS[relation] ?? relation.replace(/_/g, " ");

/** Positions for the nodes that take part in an edge (at most MAX_NODES), one column per kind group. */
export function layout(rel: Relationships) {
  const linked = new Set(rel.edges.flatMap((e) => [e.source, e.target]));
  const nodes = rel.nodes.filter((n) => linked.has(n.id)).slice(0, MAX_NODES);
  const cols = [...new Set(nodes.map((n) => KINDS[n.kind]?.[0] ?? 3))].sort();
  const at = new Map<string, { x: number; y: number; node: Node }>();
  const rows: number[] = [];
  for (const n of nodes) {
    const c = cols.indexOf(KINDS[n.kind]?.[0] ?? 3);
    rows[c] = (rows[c] ?? 0) + 1;
    at.set(n.id, { x: c * (W + GAP_X), y: (rows[c] - 1) * (H + GAP_Y), node: n });
  }
  const edges = rel.edges.filter((e) => at.has(e.source) && at.has(e.target));
  const width = Math.max(1, cols.length) * (W + GAP_X) - GAP_X;
  const height = Math.max(1, ...rows.filter(Boolean)) * (H + GAP_Y) - GAP_Y;
  return { at, edges, width, height, hidden: linked.size - nodes.length };
}

const clip = (s: string, n = 22) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A service's relationships as a small SVG graph (no graph library: the first load stays small), with the same
 *  as a list for screen readers and for reading. */
export function RelationshipGraph({ relationships }: { relationships: Relationships }) {
  const names = new Map(relationships.nodes.map((n) => [n.id, n]));
  const { at, edges, width, height, hidden } = layout(relationships);
  const label = (id: string) => { const n = names.get(id); return n ? `${kindName(n.kind)} ${n.name}` : id; };
  if (relationships.edges.length === 0) return <p className="text-sm text-slate-600">No links between this service's resources were discovered.</p>;
  return (
    <div>
      {/* Focusable so that a keyboard can scroll a wide graph (axe: scrollable-region-focusable). */}
      <div className="overflow-x-auto rounded focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
        tabIndex={0} role="region" aria-label="Relationships graph, scrollable">
        <svg role="img" aria-label="Relationships graph (the list below says the same)" width={width + 2} height={height + 2}
          viewBox={`-1 -1 ${width + 2} ${height + 2}`} className="text-slate-500">
          <defs>
            <marker id="rel-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0 0 10 5 0 10z" fill="currentColor" />
            </marker>
          </defs>
          {edges.map((e) => {
            const a = at.get(e.source)!, b = at.get(e.target)!;
            const forward = b.x >= a.x;
            const [x1, x2] = a.x === b.x ? [a.x + W, b.x + W] : forward ? [a.x + W, b.x] : [a.x, b.x + W];
            const y1 = a.y + H / 2, y2 = b.y + H / 2;
            const bend = a.x === b.x ? W / 3 : (x2 - x1) / 2;
            return (
              <path key={`${e.source} ${e.relation} ${e.target}`} d={`M${x1} ${y1} C${x1 + bend} ${y1} ${x2 - (a.x === b.x ? -bend : bend)} ${y2} ${x2} ${y2}`}
                fill="none" stroke="currentColor" strokeWidth="1.25" markerEnd="url(#rel-arrow)"><title>{`${label(e.source)} ${verb(e.relation)} ${label(e.target)}`}</title></path>
            );
          })}
          {[...at.values()].map(({ x, y, node }) => (
            <g key={node.id} transform={`translate(${x} ${y})`}>
              <title>{`${kindName(node.kind)} ${node.name}`}</title>
              <rect width={W} height={H} rx="6" className="fill-white stroke-slate-300" />
              <text x="8" y="15" className="fill-slate-500 text-[10px] uppercase tracking-wide">{kindName(node.kind)}</text>
              <text x="8" y="31" className="fill-slate-900 text-xs font-medium">{clip(node.name)}</text>
            </g>
          ))}
        </svg>
      </div>
      {hidden > 0 && <p className="mt-1 text-xs text-slate-600">{hidden} more resources are in the list only.</p>}
      <ul aria-label="Relationships" className="mt-3 space-y-1 text-sm">
        {relationships.edges.map((e) => (
          <li key={`${e.source} ${e.relation} ${e.target}`}>
            <span className="font-medium">{label(e.source)}</span> <span className="text-slate-600">{verb(e.relation)}</span> <span className="font-medium">{label(e.target)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
