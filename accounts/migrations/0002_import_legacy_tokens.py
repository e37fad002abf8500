"""Keep tokens issued before Roster stored them hashed: their digests move over, the plain keys do not."""
import hashlib
import uuid

from django.db import migrations


def import_legacy(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        ApiToken.objects.get_or_create(digest=hashlib.sha256(key.encode()).hexdigest(),
                                       defaults={"id": uuid.uuid4(), "user_id": user_id, "prefix": key[:8],
                                                 "name": "imported", "created_by": "migration"})
    with connection.cursor() as cursor:  # the plain keys go: a database dump must not hold live tokens
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(import_legacy, migrations.RunPython.noop)]
