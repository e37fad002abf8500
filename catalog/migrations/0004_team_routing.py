from django.db import migrations, models


class Migration(migrations.Migration):
    """Where to reach a team: its Slack channel, PagerDuty schedule, Opsgenie team and contact address, and
    whether each was suggested or confirmed/corrected by a person (oncall.routing_fields)."""

    dependencies = [
        ("catalog", "0003_service_last_deploy"),
    ]

    operations = [
        migrations.AddField(model_name="team", name="slack_channel",
                            field=models.CharField(blank=True, max_length=81)),
        migrations.AddField(model_name="team", name="pagerduty_schedule_id",
                            field=models.CharField(blank=True, max_length=64)),
        migrations.AddField(model_name="team", name="opsgenie_team_id",
                            field=models.CharField(blank=True, max_length=64)),
        migrations.AddField(model_name="team", name="contact_email",
                            field=models.EmailField(blank=True, max_length=254)),
        migrations.AddField(model_name="team", name="routing_sources",
                            field=models.JSONField(blank=True, default=dict)),
    ]
