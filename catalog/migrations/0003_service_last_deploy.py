from django.db import migrations, models


class Migration(migrations.Migration):
    """Each service's last deploy (catalog.reconcile.last_deploy), written by reconcile."""

    dependencies = [
        ("catalog", "0002_vocabularies"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="last_deploy",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
