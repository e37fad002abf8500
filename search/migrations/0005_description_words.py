"""Descriptions match whole words only (see search.models.DescriptionVector).

A generated column cannot be altered in place: drop it (with its index) and add it back; PostgreSQL
computes it for the existing rows.
"""
import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models
from django.db import migrations, models

import search.models


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0004_hits"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="searchdocument", name="search_doc_service_fts"),
        migrations.RemoveField(model_name="searchdocument", name="search_vector"),
        migrations.AddField(
            model_name="searchdocument",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.CombinedSearchVector(
                            django.contrib.postgres.search.SearchVector("text_a", config="simple", weight="A"),
                            "||",
                            django.contrib.postgres.search.SearchVector("text_b", config="simple", weight="B"),
                            django.contrib.postgres.search.SearchConfig("simple"),
                        ),
                        "||",
                        django.contrib.postgres.search.SearchVector("text_c", config="simple", weight="C"),
                        django.contrib.postgres.search.SearchConfig("simple"),
                    ),
                    "||",
                    search.models.DescriptionVector("text_d"),
                    django.contrib.postgres.search.SearchConfig("simple"),
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=django.db.models.Q(("kind", "service")), fields=["search_vector"],
                name="search_doc_service_fts"),
        ),
    ]
