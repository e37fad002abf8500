import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, must, resourcesOf, type CorrectionRequest, type ServiceDetail } from "../api/client";
import { LIFECYCLES, TIERS } from "../lib/options";
import { useTeams } from "../lib/teams";
import { Dialog } from "./ui";

export const CORRECTIONS = [
  { value: "owner", label: "Owner" },
  { value: "repo", label: "Repository" },
  { value: "name", label: "Name" },
  { value: "lifecycle", label: "Lifecycle" },
  { value: "tier", label: "Tier" },
  { value: "merge_into", label: "Merge into" },
  { value: "split", label: "Split" },
  { value: "not_a_service", label: "Not a service" },
] as const;
type Kind = (typeof CORRECTIONS)[number]["value"];

export type CorrectionAnswer = ServiceDetail & { improved_similar_services?: number };

export function savedMessage(answer: CorrectionAnswer): string {
  const n = answer.improved_similar_services ?? 0;
  if (n === 0) return "Saved. No similar services needed the same change.";
  return `Saved. ${n} similar ${n === 1 ? "service" : "services"} updated too.`;
}

/** The body of PATCH /api/v1/services/{id}/ for one correction (catalog.api.serializers.CorrectionRequestSerializer). */
export function correctionBody(kind: Kind, value: string, resources: string[], reason: string): CorrectionRequest {
  const body: CorrectionRequest = { correction_reason: reason };
  switch (kind) {
    case "owner": body.team_id = value || null; break;
    case "repo": body.repo = value.trim() || null; break;
    case "name": body.name = value.trim(); break;
    case "lifecycle": body.lifecycle = value; break;
    case "tier": body.tier = value; break;
    case "merge_into": body.merge_into = value.trim(); break;
    case "split": body.split = { name: value.trim(), resources }; break;
    case "not_a_service": body.not_a_service = true; break;
  }
  return body;
}

export function CorrectDialog({ service, onClose, onSaved }: {
  service: ServiceDetail; onClose: () => void; onSaved: (message: string) => void; }) {
  const [kind, setKind] = useState<Kind>("owner");
  const [value, setValue] = useState<string>(service.owner.team_id ?? "");
  const [resources, setResources] = useState<string[]>([]);
  const [reason, setReason] = useState("");
  const teams = useTeams();
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: (body: CorrectionRequest) =>
      must(api.PATCH("/api/v1/services/{id}/", { params: { path: { id: service.id } }, body })) as Promise<CorrectionAnswer>,
    onSuccess: (answer) => {
      queryClient.setQueryData(["service", service.id], answer);
      queryClient.invalidateQueries({ queryKey: ["services"] });
      queryClient.invalidateQueries({ queryKey: ["service-events", service.id] });
      onSaved(savedMessage(answer));
    },
  });

  function choose(next: Kind) {
    setKind(next);
    setValue((next === "owner" ? service.owner.team_id : next === "lifecycle" ? service.lifecycle
      : next === "tier" ? service.tier : next === "name" ? service.name : next === "repo" ? service.repo : "") ?? "");
  }

  const invalid = (kind === "name" || kind === "merge_into" || kind === "split") && !value.trim()
    || kind === "split" && resources.length === 0;
  const aws = resourcesOf(service);

  return (
    <Dialog title="Correct this service" labelId="correct-title" onClose={onClose}>
      <form className="space-y-4 p-5" onSubmit={(e) => { e.preventDefault(); if (!invalid) save.mutate(correctionBody(kind, value, resources, reason)); }}>
        <p className="text-sm text-slate-600">A correction is kept: discovery never overwrites it, and similar services learn from it.</p>
        <div>
          <label htmlFor="correct-kind" className="label">What to correct</label>
          <select id="correct-kind" className="input" value={kind} onChange={(e) => choose(e.target.value as Kind)} data-autofocus>
            {CORRECTIONS.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
        </div>
        {kind === "owner" && (
          <div>
            <label htmlFor="correct-value" className="label">New owner</label>
            <select id="correct-value" className="input" value={value} onChange={(e) => setValue(e.target.value)} disabled={teams.isPending}>
              <option value="">No owner</option>
              {teams.data?.results.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
            </select>
            {teams.isError && <p role="alert" className="mt-1 text-sm text-red-700">Could not load the teams: {teams.error.message}</p>}
          </div>
        )}
        {(kind === "lifecycle" || kind === "tier") && (
          <div>
            <label htmlFor="correct-value" className="label">{kind === "tier" ? "New tier" : "New lifecycle"}</label>
            <select id="correct-value" className="input" value={value} onChange={(e) => setValue(e.target.value)}>
              {(kind === "tier" ? TIERS : LIFECYCLES).map((v) => <option key={v} value={v}>{v}</option>)}
            </select>
          </div>
        )}
        {(kind === "repo" || kind === "name" || kind === "merge_into" || kind === "split") && (
          <div>
            <label htmlFor="correct-value" className="label">
              {kind === "repo" ? "New repository" : kind === "name" ? "New name" : kind === "merge_into" ? "Service to merge into" : "Name of the new service"}
            </label>
            <input id="correct-value" className="input" value={value} onChange={(e) => setValue(e.target.value)}
              placeholder={kind === "repo" ? "org/name (empty: no repository)" : kind === "merge_into" ? "service name or id" : ""} />
          </div>
        )}
        {kind === "split" && (
          <fieldset>
            <legend className="label">Resources that move to the new service</legend>
            {aws.length === 0 ? <p className="text-sm text-slate-600">This service has no AWS resources to split off.</p> : (
              <div className="max-h-40 space-y-1 overflow-y-auto rounded-lg border border-slate-200 p-2">
                {aws.map((r) => (
                  <label key={r.arn} className="flex items-center gap-2 text-sm">
                    <input type="checkbox" checked={resources.includes(r.arn)}
                      onChange={(e) => setResources(e.target.checked ? [...resources, r.arn] : resources.filter((a) => a !== r.arn))} />
                    <span>{r.type} {r.name}</span>
                  </label>
                ))}
              </div>
            )}
          </fieldset>
        )}
        {kind === "not_a_service" && <p className="text-sm text-slate-700">The service will be hidden from the catalog and discovery will not bring it back.</p>}
        <div>
          <label htmlFor="correct-reason" className="label">Reason</label>
          <textarea id="correct-reason" className="input" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500}
            placeholder="Why (kept with the correction)" />
        </div>
        {save.isError && <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-800">{save.error.message}</p>}
        <div className="flex justify-end gap-2 pt-2">
          <button type="button" className="btn-secondary" onClick={onClose}>Cancel</button>
          <button type="submit" className="btn-primary" disabled={save.isPending || invalid}>
            {save.isPending ? "Saving…" : "Save correction"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
