"""The demo fixture, built from the wire copy in ``fixtures/source/``.

Every object carries natural keys (a story is known by its copy's checksum), so the fixture
holds no database ids: it loads into any database, and loading it again changes nothing.
The build is deterministic: the same sources always give the same bytes.
"""

from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.db import models
from taggit.models import Tag

from articles import services, wire
from articles.models import Story, TaggedStory
from articles.slugs import first_free, tag_slug

SOURCE_DIR = settings.BASE_DIR / "fixtures" / "source"
DEMO_FIXTURE = settings.BASE_DIR / "fixtures" / "demo.json"


def build_demo_fixture(source_dir: Path = SOURCE_DIR) -> str:
    """The JSON of the demo fixture for every ``*.txt`` of copy in ``source_dir``.

    Raises :class:`wire.WireError` or :class:`services.SidecarError` naming the file.
    """
    tags: dict[str, Tag] = {}
    story_objects: list[models.Model] = []
    slugs: set[tuple] = set()
    for path in sorted(source_dir.glob("*.txt")):
        try:
            sidecar = services.read_sidecar(path)
            parsed = wire.parse(services.read_copy(path), wire_tz=settings.WIRE_TIME_ZONE)
        except (wire.WireError, services.SidecarError) as exc:
            raise type(exc)(f"{path.name}: {exc}") from None
        if parsed.published_at is None:
            raise wire.WireError(f"{path.name}: demo copy needs a timestamp line")
        status = sidecar.status or Story.Status.DRAFT
        story, sections = services.build_story(
            parsed,
            status=status,
            published_at=parsed.published_at if status == Story.Status.PUBLISHED else None,
        )
        story.created_at = story.updated_at = parsed.published_at
        day = parsed.published_at.date()
        story.slug = first_free(story.slug, (slug for slug, on in slugs if on == day))
        slugs.add((story.slug, day))
        story_objects += [story, *sections]
        for name in sidecar.tags if sidecar.tags is not None else parsed.tags:
            if name.lower() not in tags:
                taken = (tag.slug for tag in tags.values())
                tags[name.lower()] = Tag(name=name, slug=first_free(tag_slug(name), taken))
            tag = tags[name.lower()]
            story_objects.append(TaggedStory(content_object=story, tag=tag))
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
