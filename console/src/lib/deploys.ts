// A service's last deploy (the API's LastDeploy, catalog.reconcile.last_deploy) in words, for the service
// page and its discovery history.
import type { Schemas } from "../api/client";

export type LastDeploy = Schemas["LastDeploy"];

export const DEPLOY_SOURCES: Record<string, string> = {
  github_deployment: "GitHub deployment",
  github_actions: "GitHub Actions run",
  ecs: "ECS service deployment",
  lambda: "Lambda function update",
};

/** What was deployed: the short commit, else the image tag, else the task definition revision. */
export function deployedWhat(d: LastDeploy): string {
  if (d.sha) return d.sha.slice(0, 7);
  if (d.image_tag) return `image ${d.image_tag}`;
  if (d.revision) return `task definition ${d.revision}`;
  return "";
}

/** One line for a history entry: "abc1234 to production by alice", "image 1.4.2", or "none". */
export function describeDeploy(value: unknown): string {
  if (!value || typeof value !== "object") return "none";
  const d = value as LastDeploy;
  return [deployedWhat(d) || DEPLOY_SOURCES[d.source] || "a deploy", d.environment && `to ${d.environment}`, d.by && `by ${d.by}`]
    .filter(Boolean)
    .join(" ");
}

/** A link people may follow to the deploy: https only (never a script or another scheme). */
export function deployLink(d: LastDeploy): string | null {
  return d.url && /^https:\/\//.test(d.url) ? d.url : null;
}
