"""Sections keep their paragraphs rendered as HTML (``Section.body_html``).

Frozen: the rendering is written out here as it was when this migration was made, so that
later changes to the models cannot change what it does.
"""

from django.db import migrations, models
from markupsafe import escape


def paragraphs_html(text):
    lines = text.replace("\r\n", "\n").split("\n")
    return "".join(f"<p>{escape(line.strip())}</p>\n" for line in lines if line.strip())


def render_bodies(apps, schema_editor):
    Section = apps.get_model("articles", "Section")
    sections = Section.objects.using(schema_editor.connection.alias).only("pk", "body")
    changed = []
    for section in sections.iterator(chunk_size=2000):
        section.body_html = paragraphs_html(section.body)
        changed.append(section)
        if len(changed) == 2000:
            Section.objects.bulk_update(changed, ["body_html"])
            changed = []
    Section.objects.bulk_update(changed, ["body_html"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_squashed_0010_ascii_slugs")]

    operations = [
        migrations.AddField(
            model_name="section",
            name="body_html",
            field=models.TextField(default="", editable=False, serialize=False),
        ),
        migrations.RunPython(render_bodies, migrations.RunPython.noop, elidable=True),
    ]
