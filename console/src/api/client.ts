// The typed API client: paths, parameters and bodies come from schema.ts (generated from the API's OpenAPI
// description by `npm run gen:api`), so the console cannot drift from the API unnoticed (tsc fails).
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Service = Schemas["Service"];
export type ServiceDetail = Schemas["ServiceDetail"];
export type Team = Schemas["Team"];
export type Run = Schemas["Run"];
export type RunDetail = Schemas["RunDetail"];
export type Job = Schemas["Job"];
export type Me = Schemas["User"];
export type DiscoveryEvent = Schemas["DiscoveryEvent"];
export type SearchResponse = Schemas["SearchResponse"];
export type ServiceHit = Schemas["ServiceHit"];
export type MatchSpan = Schemas["MatchSpan"];
export type Connection = Schemas["Connection"];
export type CorrectionRequest = Schemas["PatchedCorrectionRequest"];
export type OwnershipCoverage = Schemas["OwnershipCoverage"];

// JSON fields the schema leaves open (model JSONFields); their shape as catalog and ownership write them.
export interface EvidenceItem {
  rule: string;
  facts?: string[];
  detail?: string;
  confidence?: number;
}
export interface OwnerCandidate {
  team: string;
  score: number;
  signals: Record<string, number>;
}
export interface Failure {
  reason_code?: string;
  message?: string;
  item?: string;
  remediation?: string;
  job?: string;
  key?: string;
}

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Thrown for a non-2xx answer: the status and the API's message ("detail" or the first field error). */
export class ApiError extends Error {
  constructor(public status: number, message: string, public body?: unknown) {
    super(message);
  }
}

export function errorMessage(body: unknown, status: number): string {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    if (typeof b.detail === "string") return b.detail;
    for (const [key, value] of Object.entries(b)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === "string") return `${key}: ${first}`;
    }
  }
  return `The server answered ${status}.`;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (!["GET", "HEAD", "OPTIONS"].includes(request.method)) request.headers.set("X-CSRFToken", csrfToken());
    return request;
  },
};

// The page's own origin (same-origin session cookie + CSRF); absolute so it also works outside a browser (tests).
export const api = createClient<paths>({
  baseUrl: typeof window !== "undefined" ? window.location.origin : "",
  credentials: "same-origin",
  fetch: (request) => globalThis.fetch(request), // looked up per call: tests replace it
});
api.use(csrf);

/** data, or an ApiError with the API's message. */
export async function must<T>(promise: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await promise;
  if (!response.ok || data === undefined) {
    if (response.status === 204) return undefined as T;
    throw new ApiError(response.status, errorMessage(error, response.status), error);
  }
  return data;
}

export function signInUrl(): string {
  const next = window.location.pathname + window.location.search;
  return `/accounts/login/?next=${encodeURIComponent(next)}`;
}

// The detail fields the schema leaves open (serializer method fields and JSONFields), typed as the
// catalog serializers (catalog/api/serializers.py) write them.
export interface AwsResource {
  type: string;
  name: string;
  arn: string;
  account: string;
  region: string;
  rule: string;
  confidence: number;
}
export interface Repository {
  full_name: string;
  url: string;
  default_branch: string;
  confidence: number;
  rule: string;
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
export function resourcesOf(s: ServiceDetail): AwsResource[] {
  const list = (s.infrastructure as { aws_resources?: unknown }).aws_resources;
  return Array.isArray(list) ? (list as AwsResource[]) : [];
}
export function repositoryOf(s: ServiceDetail): Repository | null {
  return (s.repository as Repository | null) ?? null;
}
export function runnerUpOf(s: ServiceDetail): { slug: string; score: number } | null {
  return (s.runner_up as { slug: string; score: number } | null) ?? null;
}
export function evidenceOf(s: ServiceDetail): EvidenceItem[] {
  return Array.isArray(s.evidence) ? (s.evidence as EvidenceItem[]) : [];
}
export function candidatesOf(s: ServiceDetail): OwnerCandidate[] {
  return Array.isArray(s.owner_candidates) ? (s.owner_candidates as OwnerCandidate[]) : [];
}
