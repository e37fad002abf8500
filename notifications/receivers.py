"""Signal receivers (connected in NotificationsConfig.ready): a run queued or finished is fanned out promptly,
once the audit event's transaction commits, instead of at the next sweep."""
from notifications.sources import RUN_ACTIONS


def audit_event_saved(sender, instance, created, **kwargs):
    if created and instance.action in RUN_ACTIONS and instance.workspace_id:
        from notifications.tasks import fan_out_on_commit

        fan_out_on_commit(instance.workspace_id)
