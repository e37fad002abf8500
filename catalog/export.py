"""The catalog as a ``roster-catalog/1`` document (scenarios/FORMAT.md), read by the accuracy scoring."""
from catalog.models import Service


def catalog_document(tenant_name: str) -> dict:
    services = (Service.objects.filter(hidden=False).exclude(lifecycle="eol")
                .select_related("owner").prefetch_related("resources").order_by("name"))
    return {
        "format": "roster-catalog/1",
        "tenant": tenant_name,
        "services": [
            {
                "name": s.name,
                "aliases": list(s.aliases or []),
                "owner": s.owner.slug if s.owner_id and s.ownership_status != "unowned" else None,
                "owner_confidence": round(s.owner_confidence, 2),
                "ownership_status": s.ownership_status,
                "repo": s.repo or None,
                "confidence": round(s.confidence, 2),
                "lifecycle": s.lifecycle,
                "entry_type": s.entry_type,
                "sources": list(s.sources or []),
                "resources": [
                    {"type": r.kind, "name": r.name, "account": r.account, "region": r.region, "arn": r.external_id}
                    for r in s.resources.all()
                ],
            }
            for s in services
        ],
    }
