import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, must, type Connection } from "../api/client";
import { RunProgress, useRun } from "../components/RunProgress";
import { Empty, Page } from "../components/ui";
import { LIVE, type DiscoverResponse, useDiscover } from "../lib/discover";
import { isAdmin, useMe } from "../lib/session";

const ACCOUNT = /^\d{12}$/;

function Step({ n, title, children }: { n: number; title: string; children: React.ReactNode }) {
  return (
    <section aria-labelledby={`step-${n}`} className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id={`step-${n}`} className="mb-3 flex items-center gap-2 text-base font-semibold">
        <span aria-hidden className="flex h-6 w-6 items-center justify-center rounded-full bg-indigo-50 text-xs text-indigo-800">{n}</span>{title}
      </h2>
      {children}
    </section>
  );
}

function useCreateConnection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { provider: "aws" | "github"; name: string; config: Record<string, unknown>; secret?: Record<string, unknown> }) =>
      must(api.POST("/api/v1/connections/", { body: body as never })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["connections"] }),
  });
}

function AwsStep() {
  const [account, setAccount] = useState("");
  const [regions, setRegions] = useState("us-east-1");
  const [conn, setConn] = useState<Connection | null>(null);
  const [testRun, setTestRun] = useState<string | null>(null);
  const create = useCreateConnection();
  const test = useDiscover();
  const regionList = regions.split(/[\s,]+/).filter(Boolean);
  const valid = ACCOUNT.test(account) && regionList.length > 0;

  async function ensure(): Promise<Connection> {
    if (conn && conn.config && (conn.config as { account_id?: string }).account_id === account) return conn;
    const saved = await create.mutateAsync({ provider: "aws", name: `aws-${account}`,
      config: { account_id: account, role_arn: `arn:aws:iam::${account}:role/RosterDiscovery`, regions: regionList } });
    setConn(saved);
    return saved;
  }

  return (
    <Step n={1} title="Connect AWS">
      <p className="mb-3 text-sm text-slate-700">Roster reads your account through a read-only IAM role that trusts Roster with an ExternalId. Save the account, deploy the template, then test the role.</p>
      <div className="grid gap-3 sm:grid-cols-2">
        <div><label htmlFor="aws-account" className="label">Account ID</label>
          <input id="aws-account" className="input" inputMode="numeric" value={account} onChange={(e) => setAccount(e.target.value.trim())} placeholder="123456789012"
            aria-invalid={account !== "" && !ACCOUNT.test(account)} aria-describedby="aws-account-help" />
          <p id="aws-account-help" className="mt-1 text-xs text-slate-600">12 digits</p></div>
        <div><label htmlFor="aws-regions" className="label">Regions</label>
          <input id="aws-regions" className="input" value={regions} onChange={(e) => setRegions(e.target.value)} placeholder="us-east-1, eu-west-1" /></div>
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        <button type="button" className="btn-secondary" disabled={!valid || create.isPending}
          onClick={async () => { const c = await ensure(); if (c.cloudformation_template_url?.startsWith("/api/v1/")) window.location.assign(c.cloudformation_template_url); }}>
          Download CloudFormation template
        </button>
        <button type="button" className="btn-primary" disabled={!valid || create.isPending || test.isPending}
          onClick={async () => {
            const c = await ensure();
            const answer = await test.mutateAsync(c.id);
            const b: DiscoverResponse = answer.body;
            setTestRun((answer.already ? b.already_active[0]?.id : b.runs[0]?.id) ?? null);
          }}>Test role</button>
      </div>
      {conn && <p role="status" className="mt-3 text-sm text-emerald-800">Saved connection {conn.name} (ExternalId {conn.external_id}).</p>}
      {create.isError && <p role="alert" className="mt-3 text-sm text-red-800">{create.error.message}</p>}
      {test.isError && <p role="alert" className="mt-3 text-sm text-red-800">{test.error.message}</p>}
      {testRun && <div className="mt-4"><RunProgress id={testRun} label="Role test" /></div>}
    </Step>
  );
}

function GithubStep() {
  const [org, setOrg] = useState("");
  const [token, setToken] = useState("");
  const create = useCreateConnection();
  return (
    <Step n={2} title="Connect GitHub">
      <form className="grid gap-3 sm:grid-cols-2" onSubmit={(e) => { e.preventDefault(); create.mutate({ provider: "github", name: `github-${org}`, config: { org, auth: "token" }, secret: { token } }); }}>
        <div><label htmlFor="gh-org" className="label">Organization</label><input id="gh-org" className="input" value={org} onChange={(e) => setOrg(e.target.value.trim())} required /></div>
        <div><label htmlFor="gh-token" className="label">Token</label><input id="gh-token" type="password" autoComplete="off" className="input" value={token} onChange={(e) => setToken(e.target.value)} required /></div>
        <div className="sm:col-span-2"><button type="submit" className="btn-primary" disabled={!org || !token || create.isPending}>Connect GitHub</button></div>
      </form>
      <p className="mt-2 text-xs text-slate-600">A personal access token with read:org and repo. It is encrypted at rest and never shown again.</p>
      {create.isSuccess && <p role="status" className="mt-3 text-sm text-emerald-800">Connected {create.data.name}.</p>}
      {create.isError && <p role="alert" className="mt-3 text-sm text-red-800">{create.error.message}</p>}
    </Step>
  );
}

function Finished({ id }: { id: string }) {
  const run = useRun(id);
  if (!run.data || LIVE.has(run.data.status)) return null;
  return <p className="mt-4"><Link className="btn-primary" to="/services">Open the catalog</Link></p>;
}

function DiscoverStep() {
  const discover = useDiscover();
  const b = discover.data?.body;
  const runs = b ? (discover.data!.already ? b.already_active : [...b.runs, ...(b.reconcile_run ? [b.reconcile_run] : [])]) : [];
  const last = runs[runs.length - 1];
  return (
    <Step n={3} title="First discovery">
      <p className="mb-3 text-sm text-slate-700">Scan every connection, then build the catalog and infer owners.</p>
      <button type="button" className="btn-primary" disabled={discover.isPending} onClick={() => discover.mutate(undefined)}>Start discovery</button>
      {discover.isError && <p role="alert" className="mt-3 text-sm text-red-800">{discover.error.message}</p>}
      {discover.data?.already && <p role="status" className="mt-3 text-sm text-slate-700">Discovery is already running; following it.</p>}
      <div className="mt-4 space-y-4">
        {runs.map((r, i) => <RunProgress key={r.id} id={r.id} label={i === runs.length - 1 ? "Discovery progress" : `Scan ${i + 1}`} />)}
      </div>
      {last && <Finished id={last.id} />}
    </Step>
  );
}

export default function Onboarding() {
  const me = useMe();
  return (
    <Page title="Connect your company" subtitle="Three steps: AWS, GitHub, then the first discovery">
      {!isAdmin(me) ? <Empty>Only admins can add connections. Ask an admin of this Roster to connect AWS and GitHub.</Empty> : (
        <div className="space-y-6"><AwsStep /><GithubStep /><DiscoverStep /></div>
      )}
    </Page>
  );
}
