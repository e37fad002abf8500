// Choices the API accepts (catalog.models.Lifecycle / Tier, catalog.api.filters.OWNERSHIP_STATUSES).
export const LIFECYCLES = ["production", "staging", "experimental", "deprecated", "eol"] as const;
export const TIERS = ["critical", "standard", "experimental"] as const;
export const OWNERSHIP_STATUSES = ["owned", "ambiguous", "unowned"] as const;
// catalog.choices.Health: from the service's CloudWatch alarms
export const HEALTHS = ["healthy", "degraded", "down", "unknown"] as const;

// ownership.scoring.WEIGHTS: how much each signal counts towards the owner score.
export const SIGNAL_WEIGHTS: Record<string, number> = {
  codeowners: 0.4, catalog_info: 0.4, commits: 0.25, tags: 0.2, permissions: 0.15,
};
export const SIGNAL_NAMES: Record<string, string> = {
  codeowners: "CODEOWNERS", catalog_info: "catalog-info.yaml", commits: "Commit share", tags: "Owner tags",
  permissions: "Team permission",
};
