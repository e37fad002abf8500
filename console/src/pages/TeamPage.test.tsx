import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mockApi, renderApp } from "../test/utils";
import TeamPage from "./TeamPage";

const team = (slug: string, name: string, parent: string | null) => ({
  id: `id-${slug}`, slug, name, description: "", parent, members: ["dee"], source: "github",
});

describe("TeamPage", () => {
  it("opens a team of one of several organizations (org/slug) and links its parent the same way", async () => {
    mockApi((url) => {
      if (url.pathname === "/api/v1/teams/") {
        return { body: { count: 2, next: null, previous: null, results: [
          team("quillpay/payments", "Payments", "quillpay/finance"), team("tessaro/payments", "Payments", null)] } };
      }
      if (url.pathname.startsWith("/api/v1/teams/id-quillpay/payments")) return { body: { count: 0, results: [] } };
      return undefined;
    });
    renderApp(<TeamPage />, { at: "/teams/quillpay%2Fpayments", path: "/teams/:slug" });
    expect(await screen.findByRole("heading", { name: "Payments" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "quillpay/finance" })).toHaveAttribute("href", "/teams/quillpay%2Ffinance");
  });
});
