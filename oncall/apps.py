from django.apps import AppConfig


class OncallConfig(AppConfig):
    """On-call and routing: "whom do I page for this ARN?"

    Reads PagerDuty and Opsgenie (read-only connections with encrypted keys) into its own tables every minute
    (oncall.sync), suggests each team's schedule and Opsgenie team from their names (oncall.suggest), and answers
    routing questions from those tables and the catalog (oncall.routing), never calling a vendor inline. It
    reads catalog's models; catalog does not know it exists."""

    name = "oncall"
    verbose_name = "On-call and routing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from catalog.models import Team
        from oncall.cache import team_changed

        # A team's channel, schedule or Opsgenie team may change through the catalog's admin or team sync too:
        # cached routing answers of the tenant are dropped when any team is saved (oncall.cache).
        post_save.connect(team_changed, sender=Team, dispatch_uid="oncall.team_saved")
        post_delete.connect(team_changed, sender=Team, dispatch_uid="oncall.team_deleted")
