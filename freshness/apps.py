from django.apps import AppConfig


class FreshnessConfig(AppConfig):
    """What keeps the catalog true without anyone pressing "discover": schedules and GitHub webhooks in.

    It sits above discovery in the flow (it only triggers runs) and nothing imports it."""

    name = "freshness"
    verbose_name = "Freshness: schedules and webhooks"
    default_auto_field = "django.db.models.BigAutoField"
