"""levenshtein() (fuzzystrmatch) ranks typo candidates: "payment-atx-simulator" is two edits from
"payment-tax-simulator" but shares fewer trigrams with it than with "payment-simulator".
Installed into public for the same reason as pg_trgm (see 0001)."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0005_description_words"),
    ]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA public;
            DO $$
            BEGIN
                IF (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'fuzzystrmatch') <> 'public' THEN
                    ALTER EXTENSION fuzzystrmatch SET SCHEMA public;
                END IF;
            END $$;
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
