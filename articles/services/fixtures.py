"""The demo: its fixture, built from the wire copy in ``fixtures/source/``, loaded into the
database, and the demo editor's account.

Every object carries natural keys (a story is known by its copy's checksum), so the fixture
holds no database ids: it loads into any database, and loading it again changes nothing.
The build is deterministic: the same sources always give the same bytes.
"""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import call_command
from django.db import models, transaction
from taggit.models import Tag

from articles import wire
from articles.models import Story, TaggedStory
from articles.services.publishing import give_unique_slugs
from articles.services.wire_copy import (
    SidecarError,
    build_story,
    build_take,
    read_copy,
    read_sidecar,
)
from articles.slugs import first_free, tag_slug

SOURCE_DIR = settings.BASE_DIR / "fixtures" / "source"
DEMO_FIXTURE = settings.BASE_DIR / "fixtures" / "demo.json"
DEMO_USERNAME = "editor"
DEMO_PASSWORD = "newsroom-demo"


def build_demo_fixture(source_dir: Path = SOURCE_DIR) -> str:
    """The JSON of the demo fixture for every ``*.txt`` of copy in ``source_dir``.

    Raises :class:`wire.WireError` or :class:`SidecarError` naming the file.
    """
    tags: dict[str, Tag] = {}
    stories: list[Story] = []
    story_objects: list[models.Model] = []
    for path in sorted(source_dir.glob("*.txt")):
        try:
            sidecar = read_sidecar(path)
            parsed = wire.parse(read_copy(path), wire_tz=settings.WIRE_TIME_ZONE)
        except (wire.WireError, SidecarError) as exc:
            raise type(exc)(f"{path.name}: {exc}") from None
        if parsed.published_at is None:
            raise wire.WireError(f"{path.name}: demo copy needs a timestamp line")
        status = sidecar.status or Story.Status.DRAFT
        story, sections = build_story(
            parsed,
            status=status,
            published_at=parsed.published_at if status == Story.Status.PUBLISHED else None,
        )
        story.created_at = story.updated_at = parsed.published_at
        stories.append(story)
        take = build_take(parsed, story=story, received_at=parsed.published_at)
        story_objects += [story, *sections, take]
        for name in sidecar.tags if sidecar.tags is not None else parsed.tags:
            if name.lower() not in tags:
                taken = (tag.slug for tag in tags.values())
                tags[name.lower()] = Tag(name=name, slug=first_free(tag_slug(name), taken))
            tag = tags[name.lower()]
            story_objects.append(TaggedStory(content_object=story, tag=tag))
    give_unique_slugs(stories, in_database=False)
    objects = sorted(tags.values(), key=lambda t: t.name.lower()) + story_objects
    return (
        serializers.serialize(
            "json",
            objects,
            indent=2,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        + "\n"
    )


def demo_checksums() -> list[str]:
    """The copy checksums that name the fixture's stories (their natural keys)."""
    objects = json.loads(DEMO_FIXTURE.read_text(encoding="utf-8"))
    return [o["fields"]["source_checksum"] for o in objects if o["model"] == "articles.story"]


def load_demo_stories() -> int:
    """Load the demo fixture unless its stories are here already; how many were loaded.

    Loading again would put the fixture's words back over the desk's edits, so stories
    already here are left as they are. Loaded stories get a first revision (history and
    conflict messages need a base), their search fields, and a purge of cached pages.
    """
    checksums = demo_checksums()
    if Story.objects.filter(source_checksum__in=checksums).exists():
        return 0
    # loaddata's saves are changes like any other (effects.story_saved).
    with transaction.atomic():
        call_command("loaddata", DEMO_FIXTURE, verbosity=0)
        call_command("createinitialrevisions", "articles.Story", verbosity=0)
        return Story.objects.filter(source_checksum__in=checksums).count()


def ensure_demo_editor() -> None:
    """The demo editor's account, a superuser with the known password: for local use only."""
    user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
