"""Record audit events. Callers pass plain, already-sanitized data: never secrets."""
from audit.models import AuditEvent


def record(action: str, *, actor: str = "system", obj=None, workspace_id=None, **data) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        actor=actor or "system",
        object_type=obj.__class__.__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "pk", "")) if obj is not None else "",
        workspace_id=workspace_id,
        data=data,
    )
