from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Webhooks out: tenant admins subscribe URLs to Roster's events; Roster delivers them signed and retried.

    It reads the logs the other apps already keep (catalog's discovery events and retirement holds, the audit
    trail) and nothing imports it: the flow's apps do not know who is told about what they did."""

    name = "notifications"
    verbose_name = "Notifications: webhooks out"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_save

        from audit.models import AuditEvent
        from notifications.receivers import audit_event_saved

        # A run queued or finished is told promptly; everything else waits for the sweep (every 15 s).
        post_save.connect(audit_event_saved, sender=AuditEvent, dispatch_uid="notifications.audit_event_saved")
