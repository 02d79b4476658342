"""Stored search fields on stories, with their GIN indexes on PostgreSQL.

The fields exist on every database; the pg_trgm extension, the filling of existing stories
and the two GIN indexes (full text, and trigrams for typo tolerance) only on PostgreSQL.
The indexes live here rather than in the model's Meta because SQLite, which has no GIN,
would try to build them each time it rebuilds the story table in a later migration.
"""

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

INDEXES = [
    GinIndex(fields=["search_vector"], name="articles_story_search_gin"),
    GinIndex(
        fields=["search_document"],
        opclasses=["gin_trgm_ops"],
        name="articles_story_document_trgm",
    ),
]


class TrigramExtensionOnPostgres(TrigramExtension):
    """Django's forwards step already skips SQLite; its backwards step does not."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def fill_search_fields(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from articles.search import stored_field_expressions

    Story = apps.get_model("articles", "Story")
    Story.objects.using(schema_editor.connection.alias).update(
        **stored_field_expressions(
            section_model=apps.get_model("articles", "Section"),
            tagged_model=apps.get_model("articles", "TaggedStory"),
        )
    )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Story = apps.get_model("articles", "Story")
    for index in INDEXES:
        schema_editor.add_index(Story, index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Story = apps.get_model("articles", "Story")
    for index in INDEXES:
        schema_editor.remove_index(Story, index)


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0004_story_place_slug"),
    ]

    operations = [
        TrigramExtensionOnPostgres(),
        migrations.AddField(
            model_name="story",
            name="search_document",
            field=models.TextField(default="", editable=False, serialize=False),
        ),
        migrations.AddField(
            model_name="story",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True, serialize=False
            ),
        ),
        migrations.RunPython(fill_search_fields, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
