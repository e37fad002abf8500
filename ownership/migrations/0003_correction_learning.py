from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ownership', '0002_ownership_inputs'),
    ]

    operations = [
        migrations.AddField(
            model_name='correction',
            name='pattern',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='correction',
            name='signals',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.CreateModel(
            name='WeightsReset',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('user', models.CharField(max_length=150)),
                ('reason', models.CharField(max_length=500)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
    ]
