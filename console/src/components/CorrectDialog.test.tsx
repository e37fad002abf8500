import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import ServicePage from "../pages/ServicePage";
import { mockApi, renderApp, VIEWER } from "../test/utils";
import { correctionBody } from "./CorrectDialog";

const SERVICE = {
  id: "s1", name: "account-api", display_name: "Account Api", description: "", entry_type: "service", lifecycle: "production", tier: "standard",
  tech_stack: ["Ruby"], environments: ["prod"], repo: "acme/account-api", confidence: 0.9, health: "unknown", updated_at: "",
  owner: { team_id: "t1", slug: "identity", name: "Identity", confidence: 0.87, status: "ambiguous", source: "codeowners" },
  aliases: [], accounts: ["723347347957"], regions: ["us-east-1"], sources: [], evidence: [{ rule: "ownership", facts: ["github:codeowners/acme/account-api/3"], detail: "owner identity", confidence: 1 }],
  repository: { full_name: "acme/account-api", url: "https://github.com/acme/account-api", default_branch: "main", confidence: 0.85, rule: "ecr_image" },
  infrastructure: { aws_resources: [{ type: "ecs_service", name: "account-api", arn: "arn:aws:ecs:us-east-1:723347347957:service/prod/account-api", account: "723347347957", region: "us-east-1", rule: "x", confidence: 1 },
    { type: "sqs_queue", name: "evil", arn: "javascript:alert(1)", account: "723347347957", region: "us-east-1", rule: "x", confidence: 1 }] },
  runner_up: { slug: "data", score: 0.8 },
  owner_candidates: [{ team: "identity", score: 0.9, signals: { codeowners: 1, commits: 0.6 } }, { team: "data", score: 0.8, signals: { commits: 0.4 } }],
  locked_fields: {}, missed_scans: 0, last_seen_at: null, created_at: "",
};
const TEAMS = { count: 2, next: null, previous: null, results: [{ id: "t1", slug: "identity", name: "Identity" }, { id: "t2", slug: "payments", name: "Payments" }] };

function api(bodies: unknown[]) {
  return mockApi((url, request) => {
    if (url.pathname === "/api/v1/services/s1/" && request.method === "PATCH") {
      request.clone().json().then((b) => bodies.push(b));
      return { body: { ...SERVICE, owner: { ...SERVICE.owner, team_id: "t2", slug: "payments", name: "Payments", confidence: 1, status: "owned" }, improved_similar_services: 2 } };
    }
    if (url.pathname === "/api/v1/services/s1/") return { body: SERVICE };
    if (url.pathname === "/api/v1/services/s1/events/") return { body: { count: 0, next: null, previous: null, results: [] } };
    if (url.pathname === "/api/v1/teams/") return { body: TEAMS };
    return undefined;
  });
}

describe("Service page and the correction form", () => {
  it("shows the owner, confidence, evidence with weights and sources, and safe AWS links", async () => {
    api([]);
    renderApp(<ServicePage />, { at: "/services/s1", path: "/services/:id" });
    expect(await screen.findByRole("heading", { level: 1, name: "account-api" })).toBeInTheDocument();
    const ownership = screen.getByRole("region", { name: "Ownership" });
    expect(ownership).toHaveTextContent("Identity");
    expect(ownership).toHaveTextContent("87%");
    expect(ownership).toHaveTextContent("ambiguous");
    expect(ownership).toHaveTextContent(/runner-up data/);
    const evidence = screen.getByRole("list", { name: "Evidence" });
    expect(evidence).toHaveTextContent("CODEOWNERS");
    expect(evidence).toHaveTextContent("weight 0.40");
    expect(evidence).toHaveTextContent("CODEOWNERS line 3 in acme/account-api");
    const links = screen.getAllByRole("link", { name: /Open in AWS console/ });
    expect(links).toHaveLength(1);
    expect(links[0].getAttribute("href")).toMatch(/^https:\/\/console\.aws\.amazon\.com\/ecs\//);
  });

  it("lets an editor correct the owner and reports the similar services", async () => {
    const bodies: unknown[] = [];
    api(bodies);
    renderApp(<ServicePage />, { at: "/services/s1", path: "/services/:id" });
    await userEvent.click(await screen.findByRole("button", { name: "Correct" }));
    const dialog = screen.getByRole("dialog", { name: "Correct this service" });
    expect(dialog).toBeInTheDocument();
    const kinds = screen.getByLabelText("What to correct");
    expect(kinds).toHaveFocus();
    expect(Array.from((kinds as HTMLSelectElement).options).map((o) => o.text))
      .toEqual(["Owner", "Repository", "Name", "Lifecycle", "Tier", "Merge into", "Split", "Not a service"]);
    await screen.findByRole("option", { name: "Payments" });
    await userEvent.selectOptions(screen.getByLabelText("New owner"), "t2");
    await userEvent.type(screen.getByLabelText("Reason"), "payments took it over");
    await userEvent.click(screen.getByRole("button", { name: "Save correction" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Saved. 2 similar services updated too.");
    await waitFor(() => expect(bodies).toEqual([{ team_id: "t2", correction_reason: "payments took it over" }]));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Ownership" })).toHaveTextContent("Payments");
  });

  it("refuses viewers with an explanation", async () => {
    api([]);
    renderApp(<ServicePage />, { at: "/services/s1", path: "/services/:id", me: VIEWER });
    const button = await screen.findByRole("button", { name: "Correct" });
    expect(button).toHaveAttribute("aria-disabled", "true");
    await userEvent.click(button);
    expect(screen.getByRole("alert")).toHaveTextContent("Only editors and admins can correct services");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("builds each kind of correction body the API takes", () => {
    expect(correctionBody("repo", " acme/x ", [], "r")).toEqual({ repo: "acme/x", correction_reason: "r" });
    expect(correctionBody("repo", "", [], "")).toEqual({ repo: null, correction_reason: "" });
    expect(correctionBody("split", "new", ["arn:a"], "")).toEqual({ split: { name: "new", resources: ["arn:a"] }, correction_reason: "" });
    expect(correctionBody("not_a_service", "", [], "")).toEqual({ not_a_service: true, correction_reason: "" });
    expect(correctionBody("merge_into", "other", [], "")).toEqual({ merge_into: "other", correction_reason: "" });
  });
});
