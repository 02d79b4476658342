"""On PostgreSQL, drop the trigram index of ``Story.search_document``: no query uses it.

Typo tolerance compares query words with the lexicon (``articles_searchword_trgm``), never
with whole documents, and the document is read only for the stories of a results page, by
id. At 1,000,000 stories the index took 941 MB and most of the time of rebuilding the
indexes after a bulk load, and every import paid to keep it. SQLite never had it.
"""

from django.db import migrations

INDEX = "articles_story_document_trgm"


def on_postgresql(statement):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("articles", "0012_sqlite_full_text_search")]

    operations = [
        migrations.RunPython(
            on_postgresql(f"DROP INDEX IF EXISTS {INDEX}"),
            on_postgresql(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON articles_story "
                "USING gin (search_document gin_trgm_ops)"
            ),
        )
    ]
