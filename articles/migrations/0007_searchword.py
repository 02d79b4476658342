"""The lexicon of typo tolerance: the distinct words of the stored search vectors.

The table exists on every database; its GIN trigram index and its filling from the
existing stories only on PostgreSQL (as in 0005: SQLite has no GIN).
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

INDEX = GinIndex(fields=["word"], opclasses=["gin_trgm_ops"], name="articles_searchword_trgm")


def create_index_and_fill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from articles.search import fill_words_sql

    schema_editor.add_index(apps.get_model("articles", "SearchWord"), INDEX)
    schema_editor.execute(fill_words_sql(all_stories=True))


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("articles", "SearchWord"), INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_section_body_optional_reporters_drop_sections"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[("word", models.TextField(primary_key=True, serialize=False))],
            options={"verbose_name": "search word"},
        ),
        migrations.RunPython(create_index_and_fill, drop_index),
    ]
