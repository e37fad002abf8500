import { describe, expect, it } from "vitest";
import { buildIndex, fold, oneEdit, searchLocally, type PaletteIndexBody } from "./paletteIndex";

const body: PaletteIndexBody = {
  truncated: false,
  fields: {
    services: ["id", "name", "team_name", "lifecycle", "repo", "aliases"],
    teams: ["id", "name", "display_name", "services_count", "members_count"],
    repositories: ["name", "team_name", "services"],
  },
  services: [
    ["s1", "payment-gateway", "Payments", "production", "acme/payment-gateway", ["pay-gw"]],
    ["s2", "payments_ledger", "Payments", "production", "acme/ledger", []],
    ["s3", "checkout-api", "Checkout", "production", "acme/falcon", ["storefront-checkout"]],
    ["s4", "gateway-proxy", "Edge", "production", "", []],
  ],
  teams: [["t1", "payments", "Payments Team", 2, 5]],
  repositories: [["acme/falcon", "Checkout", ["checkout-api"]]],
};
const index = buildIndex(body)!;
const names = (text: string) => searchLocally(index, text).hits.map((h) => h.name);

describe("the palette's local index", () => {
  it("folds names to the same length, so match offsets are offsets in the name", () => {
    expect(fold("Payments_Ledger")).toBe("payments ledger");
    expect(fold("checkout-api").length).toBe("checkout-api".length);
  });

  it("ranks exact, then prefix, then word start, then substring", () => {
    expect(names("payment")).toEqual(["payment-gateway", "payments_ledger"]);
    expect(names("gateway")).toEqual(["gateway-proxy", "payment-gateway"]); // prefix before word start
    expect(names("ledger")).toEqual(["payments_ledger"]); // "_" is a word break like "-"
    expect(names("ateway")).toEqual(["gateway-proxy", "payment-gateway"]);
  });

  it("matches every word in any order, aliases, and one typo", () => {
    expect(names("api checkout")).toEqual(["checkout-api"]);
    expect(names("storefront")).toEqual(["checkout-api"]); // by its alias
    expect(names("chekout")).toEqual(["checkout-api"]);
    expect(names("paymnet")).toEqual(["payment-gateway", "payments_ledger"]);
    expect(names("xyzzy")).toEqual([]);
    expect(names("chekout-a")).toEqual(["checkout-api"]); // a typo in the first word, then the next word
    expect(names("cj")).toEqual(["checkout-api"]); // a neighbouring key, early in the name
    expect(names("zq")).toEqual([]); // two short letters: one wrong key at most, no insertions
    expect(names("ga")[0]).toBe("gateway-proxy"); // and a prefix still ranks above a typo
  });

  it("gives highlight spans in the displayed field, also for a repository's short name", () => {
    const answer = searchLocally(index, "falc");
    expect(answer.hits.map((h) => h.name)).toEqual([]);
    expect(answer.repositories[0].id).toBe("acme/falcon");
    expect(answer.repositories[0]._matchesPosition.name).toEqual([{ start: 5, length: 4 }]);
    const hit = searchLocally(index, "ledger").hits[0];
    expect(hit._matchesPosition.name).toEqual([{ start: 9, length: 6 }]);
    expect(searchLocally(index, "payments team").teams[0].name).toBe("payments");
  });

  it("is no index when the catalog is too big for one", () => {
    expect(buildIndex({ ...body, truncated: true })).toBeNull();
  });

  it("knows one edit from two", () => {
    expect(oneEdit("ledger", "ledgre")).toBe(true); // swapped neighbours
    expect(oneEdit("ledger", "ledge")).toBe(true);
    expect(oneEdit("ledger", "lodgar")).toBe(false);
    expect(oneEdit("abc", "abcde")).toBe(false);
  });
});
