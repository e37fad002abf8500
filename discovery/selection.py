"""Run selections and their deterministic hash (canonical JSON: sorted keys and arrays, sha256)."""
import hashlib
import json
from typing import Any


def canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def selection_hash(selection: dict[str, Any]) -> str:
    payload = json.dumps(canonical(selection), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def normalize_selection(provider: str, config: dict[str, Any], requested: dict[str, Any] | None) -> dict[str, Any]:
    """The selection a run actually covers: what was asked for, narrowed to what the connection has.

    Empty keys are dropped so "everything" hashes the same whether it was spelled out or omitted.
    """
    requested = {k: v for k, v in (requested or {}).items() if v}
    if provider == "aws":
        from discovery.planning import AWS_KIND_GROUPS as KIND_GROUPS

        accounts = sorted(set(requested.get("accounts") or []) & set(_aws_accounts(config))) or _aws_accounts(config)
        regions = sorted(set(requested.get("regions") or []) & set(config.get("regions") or [])) or sorted(
            config.get("regions") or ["us-east-1"]
        )
        kinds = sorted(set(requested.get("kinds") or []) & set(KIND_GROUPS)) or sorted(KIND_GROUPS)
        return {"accounts": accounts, "regions": regions, "kinds": kinds}
    from discovery.planning import GITHUB_SCANNERS

    repos = sorted(requested.get("repos") or [])
    selection = {"org": config.get("org", "")}
    if repos:
        selection["repos"] = repos
    # A webhook refreshes teams or repositories only; naming every scanner is the same as naming none.
    scanners = sorted(set(requested.get("scanners") or []) & set(GITHUB_SCANNERS))
    if scanners and len(scanners) < len(GITHUB_SCANNERS):
        selection["scanners"] = scanners
    return selection


def is_full(provider: str, config: dict[str, Any], selection: dict[str, Any]) -> bool:
    return selection == normalize_selection(provider, config, None)


def _aws_accounts(config: dict[str, Any]) -> list[str]:
    return sorted({str(a) for a in (config.get("accounts") or [config.get("account_id")]) if a})
