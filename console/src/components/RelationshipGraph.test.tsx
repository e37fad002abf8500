import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { layout, MAX_NODES, RelationshipGraph } from "./RelationshipGraph";

const API = "arn:aws:apigateway:us-east-1::/restapis/abc", FN = "arn:aws:lambda:us-east-1:1:function:gw";
const QUEUE = "arn:aws:sqs:us-east-1:1:gw-jobs", IMAGE = "arn:aws:ecr:us-east-1:1:repository/gw", REPO = "github:repo/acme/gw";
const REL = {
  nodes: [
    { id: API, kind: "apigateway_rest_api", name: "gw-api" }, { id: FN, kind: "lambda_function", name: "gw" },
    { id: QUEUE, kind: "sqs_queue", name: "gw-jobs" }, { id: IMAGE, kind: "ecr_repository", name: "gw" },
    { id: REPO, kind: "github_repository", name: "acme/gw" }, { id: "arn:lonely", kind: "rds_instance", name: "unlinked-db" },
  ],
  edges: [
    { source: API, relation: "integrates", target: FN }, { source: QUEUE, relation: "triggers", target: FN },
    { source: IMAGE, relation: "built_from", target: REPO },
  ],
};

describe("Relationships graph", () => {
  it("draws linked resources as an SVG graph and says the same as a list", () => {
    const { container } = render(<RelationshipGraph relationships={REL} />);
    expect(screen.getByRole("img", { name: /Relationships graph/ })).toBeInTheDocument();
    expect(container.querySelectorAll("svg g")).toHaveLength(5); // the unlinked database is not drawn
    expect(container.querySelectorAll("svg path[marker-end]")).toHaveLength(3);
    const items = within(screen.getByRole("list", { name: "Relationships" })).getAllByRole("listitem").map((li) => li.textContent);
    expect(items).toEqual(["REST API gw-api integrates function gw", "queue gw-jobs triggers function gw", "image gw is built from repository acme/gw"]);
  });

  it("puts each kind in its column, left to right", () => {
    const { at } = layout(REL);
    expect(at.get(API)!.x).toBeLessThan(at.get(FN)!.x);
    expect(at.get(FN)!.x).toBeLessThan(at.get(QUEUE)!.x);
    expect(at.get(QUEUE)!.x).toBe(at.get(IMAGE)!.x);
    expect(at.get(QUEUE)!.y).not.toBe(at.get(IMAGE)!.y);
  });

  it("keeps the graph small and the list complete", () => {
    const many = Array.from({ length: MAX_NODES + 6 }, (_, i) => ({ id: `q${i}`, kind: "sqs_queue", name: `q${i}` }));
    const rel = { nodes: [{ id: FN, kind: "lambda_function", name: "gw" }, ...many], edges: many.map((q) => ({ source: q.id, relation: "triggers", target: FN })) };
    const { container } = render(<RelationshipGraph relationships={rel} />);
    expect(container.querySelectorAll("svg g")).toHaveLength(MAX_NODES);
    expect(screen.getByText("7 more resources are in the list only.")).toBeInTheDocument();
    expect(within(screen.getByRole("list", { name: "Relationships" })).getAllByRole("listitem")).toHaveLength(MAX_NODES + 6);
  });

  it("says when nothing links the resources", () => {
    render(<RelationshipGraph relationships={{ nodes: REL.nodes, edges: [] }} />);
    expect(screen.getByText("No links between this service's resources were discovered.")).toBeInTheDocument();
    expect(screen.queryByRole("img")).toBeNull();
  });
});
