"""Every tag and dateline place gets an ASCII slug that its address can carry.

Tags saved before had taggit's Unicode slugs ("côte-divoire", "日本") or an empty one
("!!!"), which the ``<slug:…>`` URL patterns cannot reverse: any page listing such a tag
failed. They are transliterated now as new ones are (``articles/slugs.py``); the rule is
written out here rather than imported, so this migration stays as it is when the app changes.
"""

import re

from anyascii import anyascii
from django.db import migrations
from django.utils.text import slugify

SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")


def ascii_slug(text, fallback, max_length):
    return slugify(anyascii(text))[:max_length].rstrip("-_") or fallback


def make_slugs_ascii(apps, schema_editor):
    Tag = apps.get_model("taggit", "Tag")
    Story = apps.get_model("articles", "Story")
    taken = set(Tag.objects.values_list("slug", flat=True))
    for tag in Tag.objects.order_by("pk"):
        if SLUG.match(tag.slug):
            continue
        base = ascii_slug(tag.name, "tag", 92)
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        Tag.objects.filter(pk=tag.pk).update(slug=candidate)
    places = Story.objects.exclude(dateline_place="").values_list("dateline_place", flat=True)
    for place in set(places):
        Story.objects.filter(dateline_place=place).update(
            place_slug=ascii_slug(place, "", 80)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0009_taggedstory_story_published_at"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(make_slugs_ascii, migrations.RunPython.noop)]
