import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, candidatesOf, evidenceOf, must, repositoryOf, resourcesOf, runnerUpOf, strings, type ServiceDetail } from "../api/client";
import { CorrectDialog } from "../components/CorrectDialog";
import { RelationshipGraph } from "../components/RelationshipGraph";
import { Badge, Card, Empty, ErrorState, Loading, Page, pct, when } from "../components/ui";
import { consoleUrl } from "../lib/aws";
import { DEPLOY_SOURCES, deployLink, deployedWhat, describeDeploy, type LastDeploy } from "../lib/deploys";
import { SIGNAL_NAMES, SIGNAL_WEIGHTS } from "../lib/options";
import { remember } from "../lib/recent";
import { canEdit, useMe } from "../lib/session";

function signalSource(signal: string, service: ServiceDetail): string {
  const evidence = evidenceOf(service);
  const facts = evidence.flatMap((e) => e.facts ?? []);
  const repo = service.repo || "the repository";
  switch (signal) {
    case "codeowners": {
      const line = facts.map((f) => /^github:codeowners\/[^/]+\/[^/]+\/(\d+)$/.exec(f)).find(Boolean);
      return line ? `CODEOWNERS line ${line[1]} in ${repo}` : `CODEOWNERS rule in ${repo}`;
    }
    case "catalog_info": return `catalog-info.yaml spec.owner in ${repo}`;
    case "commits": return `share of recent commits to ${repo} by the team's members`;
    case "tags": {
      const n = resourcesOf(service).length;
      return `owner tag on the service's AWS resources (${n} resource${n === 1 ? "" : "s"})`;
    }
    case "permissions": return `the team's permission on ${repo}`;
    default: return "";
  }
}

function Ownership({ service, onCorrect, notice }: { service: ServiceDetail; onCorrect: () => void; notice: string }) {
  const me = useMe();
  const editor = canEdit(me);
  const [refused, setRefused] = useState(false);
  const candidates = candidatesOf(service).slice(0, 5);
  const runnerUp = runnerUpOf(service);
  const winner = candidates.find((c) => c.team === service.owner.slug) ?? candidates[0];
  const signals = Object.entries(winner?.signals ?? {}).sort((a, b) => (SIGNAL_WEIGHTS[b[0]] ?? 0) * b[1] - (SIGNAL_WEIGHTS[a[0]] ?? 0) * a[1]);
  const status = service.owner.status;
  return (
    <Card title="Ownership" id="ownership-title">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <p className="text-lg font-semibold">
            {service.owner.slug ? <Link className="link" to={`/teams/${encodeURIComponent(service.owner.slug)}`}>{service.owner.name}</Link> : "No owner"}
          </p>
          <p className="mt-1 flex items-center gap-2 text-sm text-slate-700">
            <span>Confidence <strong className="text-slate-900">{pct(service.owner.confidence)}</strong></span>
            <Badge value={status} />
            {service.owner.source && <span>mainly from {SIGNAL_NAMES[service.owner.source] ?? service.owner.source}</span>}
          </p>
        </div>
        <div>
          {editor ? (
            <button type="button" className="btn-primary" onClick={onCorrect}>Correct</button>
          ) : (
            <button type="button" className="btn-secondary" aria-disabled="true" aria-describedby={refused ? "correct-refused" : undefined}
              onClick={() => setRefused(true)}>Correct</button>
          )}
        </div>
      </div>
      {refused && <p id="correct-refused" role="alert" className="mt-3 rounded-md bg-amber-50 p-2 text-sm text-amber-900">Only editors and admins can correct services.</p>}
      {notice && <p role="status" className="mt-3 rounded-md bg-emerald-50 p-2 text-sm text-emerald-900">{notice}</p>}
      {status === "ambiguous" && runnerUp && (
        <p className="mt-3 rounded-md bg-amber-50 p-2 text-sm text-amber-900">
          Ambiguous: the runner-up <Link className="link" to={`/teams/${encodeURIComponent(runnerUp.slug)}`}>{runnerUp.slug}</Link> scores {pct(runnerUp.score)}, close to the owner.
        </p>
      )}
      <h3 className="mb-2 mt-4 text-sm font-medium text-slate-900" id="evidence-title">Evidence</h3>
      {signals.length === 0 ? <Empty>No ownership signals were found for this service.</Empty> : (
        <ul aria-labelledby="evidence-title" className="divide-y divide-slate-100 rounded-lg border border-slate-200">
          {signals.map(([signal, value]) => (
            <li key={signal} className="grid grid-cols-[10rem_7rem_1fr] items-baseline gap-3 px-3 py-2 text-sm">
              <span className="font-medium">{SIGNAL_NAMES[signal] ?? signal}</span>
              <span className="text-slate-700">weight {(SIGNAL_WEIGHTS[signal] ?? 0).toFixed(2)} · {pct(value)}</span>
              <span className="text-slate-700">{signalSource(signal, service)}</span>
            </li>
          ))}
        </ul>
      )}
      {candidates.length > 1 && (
        <details className="mt-3 text-sm">
          <summary className="cursor-pointer text-slate-700">Other candidates</summary>
          <table className="mt-2 w-full text-left">
            <thead><tr className="text-xs text-slate-600"><th className="py-1 font-medium">Team</th><th className="font-medium">Score</th><th className="font-medium">Signals</th></tr></thead>
            <tbody>
              {candidates.map((c) => (
                <tr key={c.team} className="border-t border-slate-100">
                  <td className="py-1">{c.team}</td><td>{pct(c.score)}</td>
                  <td className="text-slate-700">{Object.entries(c.signals).map(([s, v]) => `${SIGNAL_NAMES[s] ?? s} ${pct(v)}`).join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </Card>
  );
}

function Resources({ service }: { service: ServiceDetail }) {
  const resources = resourcesOf(service);
  const envs = strings(service.environments);
  const env = envs.length ? envs.join(", ") : "no environment";
  const groups = new Map<string, typeof resources>();
  for (const r of resources) {
    const key = `${r.account}|${r.region}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return (
    <Card title="Resources" id="resources-title">
      {resources.length === 0 ? <Empty>No AWS resources are attached to this service.</Empty> : (
        <div className="space-y-4">
          {[...groups.entries()].map(([key, items]) => {
            const [account, region] = key.split("|");
            return (
              <div key={key}>
                <h3 className="mb-1 text-sm font-medium text-slate-900">{env} · account {account || "—"} · {region || "global"}</h3>
                <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200">
                  {items.map((r) => {
                    const href = consoleUrl(r.arn);
                    return (
                      <li key={r.arn} className="flex items-baseline justify-between gap-3 px-3 py-2 text-sm">
                        <span><span className="text-slate-600">{r.type.replace(/_/g, " ")}</span> <span className="font-medium">{r.name}</span></span>
                        {href ? <a className="link shrink-0 text-xs" href={href} target="_blank" rel="noopener noreferrer">Open in AWS console<span className="sr-only"> ({r.name})</span></a>
                          : <span className="text-xs text-slate-600">no console link</span>}
                      </li>
                    );
                  })}
                </ul>
              </div>
            );
          })}
        </div>
      )}
    </Card>
  );
}

function LastDeployLine({ deploy }: { deploy: LastDeploy | null | undefined }) {
  if (!deploy) return <dd>—</dd>;
  const what = deployedWhat(deploy);
  const link = deployLink(deploy);
  const aws = deploy.resource ? consoleUrl(deploy.resource) : null;
  return (
    <dd data-testid="last-deploy">
      {when(deploy.at)}
      {what && <> · {link ? <a className="link" href={link} target="_blank" rel="noopener noreferrer">{what}</a> : <span className="font-mono">{what}</span>}</>}
      {deploy.environment && <> to {deploy.environment}</>}
      {deploy.by && <> by {deploy.by}</>}
      <span className="block text-xs text-slate-600">
        from the {DEPLOY_SOURCES[deploy.source] ?? deploy.source}
        {aws && <> · <a className="link" href={aws} target="_blank" rel="noopener noreferrer">Open in AWS console<span className="sr-only"> (last deploy)</span></a></>}
      </span>
    </dd>
  );
}

function change(field: string, value: unknown): string {
  return field === "last_deploy" ? describeDeploy(value) : JSON.stringify(value ?? null);
}

function History({ id }: { id: string }) {
  const events = useInfiniteQuery({
    queryKey: ["service-events", id],
    initialPageParam: 0,
    queryFn: ({ pageParam, signal }) => must(api.GET("/api/v1/services/{id}/events/", { params: { path: { id }, query: { limit: 25, offset: pageParam } }, signal })),
    getNextPageParam: (last, pages) => (last.next ? pages.length * 25 : undefined),
  });
  const items = events.data?.pages.flatMap((p) => p.results) ?? [];
  return (
    <Card title="Discovery history" id="history-title">
      {events.isPending ? <Loading /> : events.isError ? <ErrorState error={events.error} retry={() => events.refetch()} /> : items.length === 0 ? <Empty>No discovery events yet.</Empty> : (
        <ol className="space-y-2">
          {items.map((e) => (
            <li key={e.id} className="text-sm">
              <span className="font-medium">{e.event_type.replace(/_/g, " ")}</span>
              {e.field && <> · {e.field.replace(/_/g, " ")}: {change(e.field, e.old_value)} → {change(e.field, e.new_value)}</>}
              {e.reason && <span className="text-slate-600"> ({e.reason}{e.confidence != null ? `, ${pct(e.confidence)}` : ""})</span>}
              <div className="text-xs text-slate-600">{when(e.created_at)}{e.run && <> · <Link className="link" to={`/runs/${e.run}`}>run</Link></>}</div>
            </li>
          ))}
        </ol>
      )}
      {events.hasNextPage && <button type="button" className="btn-secondary mt-3" onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>Load more</button>}
    </Card>
  );
}

export default function ServicePage() {
  const { id = "" } = useParams();
  const [correcting, setCorrecting] = useState(false);
  const [notice, setNotice] = useState("");
  const service = useQuery({
    queryKey: ["service", id],
    queryFn: ({ signal }) => must(api.GET("/api/v1/services/{id}/", { params: { path: { id } }, signal })),
  });
  useEffect(() => {
    if (service.data) remember({ type: "service", id: service.data.id, name: service.data.name, href: `/services/${service.data.id}`, detail: service.data.owner.name ?? "" });
  }, [service.data]);
  useEffect(() => setNotice(""), [id]);

  if (service.isPending) return <Page title="Service"><Loading label="Loading the service…" /></Page>;
  if (service.isError) return <Page title="Service"><ErrorState error={service.error} retry={() => service.refetch()} /></Page>;
  const s = service.data;
  const evidence = evidenceOf(s);
  const repository = repositoryOf(s);
  return (
    <Page title={s.name} subtitle={<>
      {s.display_name && s.display_name !== s.name && <span>{s.display_name} · </span>}
      {s.description}
      <span className="mt-2 flex flex-wrap gap-2"><Badge value={s.lifecycle ?? ""} /><Badge value={s.tier ?? ""}>{s.tier} tier</Badge>{strings(s.tech_stack).slice(0, 5).map((t) => <Badge key={t} value="tech">{t}</Badge>)}</span>
    </>}>
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Ownership service={s} onCorrect={() => setCorrecting(true)} notice={notice} />
          <Resources service={s} />
          <Card title="Relationships" id="relationships-title"><RelationshipGraph relationships={s.relationships ?? { nodes: [], edges: [] }} /></Card>
          <Card title="How it was found" id="found-title">
            {evidence.length === 0 ? <Empty>No discovery evidence recorded.</Empty> : (
              <ul className="space-y-2 text-sm">
                {evidence.map((e, i) => (
                  <li key={i}><span className="font-medium">{e.rule.replace(/_/g, " ")}</span> — {e.detail} <span className="text-slate-600">({pct(e.confidence)})</span></li>
                ))}
              </ul>
            )}
          </Card>
        </div>
        <div className="space-y-6">
          <Card title="Repository" id="repo-title">
            {repository ? (
              <dl className="space-y-1 text-sm">
                <div><dt className="sr-only">Name</dt>
                <dd>{/^https:\/\//.test(repository.url) ? <a className="link font-medium" href={repository.url} target="_blank" rel="noopener noreferrer">{repository.full_name}</a> : <span className="font-medium">{repository.full_name}</span>}</dd></div>
                <div><dt className="inline text-slate-600">Default branch: </dt><dd className="inline">{repository.default_branch || "—"}</dd></div>
                <div><dt className="inline text-slate-600">Linked by: </dt><dd className="inline text-slate-600">{repository.rule.replace(/_/g, " ")} ({pct(repository.confidence)})</dd></div>
              </dl>
            ) : <Empty>No repository linked.</Empty>}
          </Card>
          <Card title="Details" id="details-title">
            <dl className="grid grid-cols-[7rem_1fr] gap-y-1 text-sm">
              <dt className="text-slate-600">Type</dt><dd>{s.service_type || s.entry_type}</dd>
              <dt className="text-slate-600">Environments</dt><dd>{strings(s.environments).join(", ") || "—"}</dd>
              <dt className="text-slate-600">Accounts</dt><dd>{strings(s.accounts).join(", ") || "—"}</dd>
              <dt className="text-slate-600">Regions</dt><dd>{strings(s.regions).join(", ") || "—"}</dd>
              <dt className="text-slate-600">Aliases</dt><dd>{strings(s.aliases).join(", ") || "—"}</dd>
              <dt className="text-slate-600">Confidence</dt><dd>{pct(s.confidence)}</dd>
              <dt className="text-slate-600">Last seen</dt><dd>{when(s.last_seen_at)}</dd>
              <dt className="text-slate-600">Last deploy</dt><LastDeployLine deploy={s.last_deploy} />
            </dl>
          </Card>
          <History id={s.id} />
        </div>
      </div>
      {correcting && <CorrectDialog service={s} onClose={() => setCorrecting(false)} onSaved={(m) => { setCorrecting(false); setNotice(m); }} />}
    </Page>
  );
}
