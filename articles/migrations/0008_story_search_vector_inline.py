"""Keep each story's search vector in its row (PostgreSQL), so matching reads no TOAST.

Counting and ranking the newest matches of a common word tests ``search_vector @@ query``
on each story the ``published_at`` index walks past. Stored out of line (PostgreSQL's
default for a ~2.5 KB value in a row over 2 KB), every test first fetches and reassembles
the vector from the TOAST table, most of the query's time. ``STORAGE MAIN`` and a row
target of 4 KB keep the vector in the row, uncompressed when the row fits, and move the
readable ``search_document`` (needed only for the page's snippets) out of line instead.
Rows take the new layout when they are next written: every search refresh rewrites them,
and ``manage.py rebuild_search`` rewrites them all. Nothing changes on SQLite.
"""

from django.db import migrations

FORWARDS = [
    "ALTER TABLE articles_story SET (toast_tuple_target = 4080)",
    "ALTER TABLE articles_story ALTER COLUMN search_vector SET STORAGE MAIN",
]
BACKWARDS = [
    "ALTER TABLE articles_story RESET (toast_tuple_target)",
    "ALTER TABLE articles_story ALTER COLUMN search_vector SET STORAGE EXTENDED",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_searchword"),
    ]

    operations = [migrations.RunPython(run(FORWARDS), run(BACKWARDS))]
