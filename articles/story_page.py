"""A story page's data in one database query: the story, its sections and tags, the
related stories and the sidebar's latest news.

The query is built from ``Story.objects.published()`` like every public read, once per
process (``articles/prepared.py``): a request sends only its values (the slug, the day and
the time that counts as now) and PostgreSQL runs a statement it has already planned. Sections,
tags and stories come back as JSON arrays and become model instances here, set as the
story's prefetched ``sections`` and ``tags`` so that the template and the structured data
use the story as they would any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, OuterRef, QuerySet
from django.utils import timezone
from taggit.models import Tag

from articles.models import Section, Story, TaggedStory
from articles.prepared import JSONList, PreparedQuery, json_datetime

RELATED_STORIES = 4
LATEST_STORIES = 5
# Kept for the desk and for search, never shown to readers: not read for a story page.
UNSHOWN_FIELDS = ("source_text", "search_vector", "search_document")
_LISTED = ("id", "headline", "slug", "published_at")
_SECTION_FIELDS = ("id", "story_id", "position", "subheading", "body")
_TAG_FIELDS = ("id", "name", "slug")


@dataclass
class StoryPage:
    story: Story
    related: list[Story]
    latest: list[Story]


def _story_page(slug: str, day: date, now: datetime) -> QuerySet:
    public = Story.objects.published(at=now)
    sections = Section.objects.filter(story=OuterRef("pk"))
    tags = TaggedStory.objects.filter(content_object=OuterRef("pk")).annotate(
        row=F("pk"), tag_pk=F("tag_id"), name=F("tag__name"), tag_slug=F("tag__slug")
    )
    related = public.related_to(OuterRef("pk"), limit=RELATED_STORIES)
    latest = public.order_by("-published_at", "-pk")[:LATEST_STORIES]
    return (
        public.filter(slug=slug, published_at__date=day)
        .defer(*UNSHOWN_FIELDS)
        .annotate(
            section_rows=JSONList(sections.order_by(), "id", "position", "subheading", "body"),
            tag_rows=JSONList(tags.order_by(), "row", "tag_pk", "name", "tag_slug"),
            related_rows=JSONList(related, *_LISTED, "shared"),
            latest_rows=JSONList(latest, *_LISTED),
        )
        # One story per slug and day (the admin sees to it); should two ever share them,
        # the first one made is the one readers get.
        .order_by("pk")[:1]
    )


STORY_PAGE = PreparedQuery("story page", _story_page, slug=str, day=date, now=datetime)


def load(slug: str, day: date) -> StoryPage | None:
    """The published story of that day and slug with all its page shows, or ``None``."""
    story = STORY_PAGE.first(slug=slug, day=day, now=timezone.now())
    if story is None:
        return None
    sections = [
        Section.from_db(
            "default",
            _SECTION_FIELDS,
            (row["id"], story.pk, row["position"], row["subheading"], row["body"]),
        )
        for row in JSONList.load(story.section_rows, sort_key=lambda row: row["position"])
    ]
    for section in sections:
        Section.story.field.set_cached_value(section, story)
    tags = [
        Tag.from_db("default", _TAG_FIELDS, (row["tag_pk"], row["name"], row["tag_slug"]))
        for row in JSONList.load(story.tag_rows, sort_key=lambda row: row["row"])
    ]
    _set_prefetched(story, "sections", Section, sections)
    _set_prefetched(story, "tags", Tag, tags)
    related = _stories(story.related_rows, extra="shared")
    latest = _stories(story.latest_rows)
    del story.section_rows, story.tag_rows, story.related_rows, story.latest_rows
    return StoryPage(story=story, related=related, latest=latest)


def _stories(rows_json, *, extra: str | None = None) -> list[Story]:
    """Stories from JSON rows, in the lists' order: most ``extra`` first, then newest."""
    stories = []
    for row in JSONList.load(rows_json):
        values = (row["id"], row["headline"], row["slug"], json_datetime(row["published_at"]))
        story = Story.from_db("default", _LISTED, values)
        stories.append((row[extra] if extra else 0, story.published_at, story.pk, story))
    stories.sort(key=lambda entry: entry[:3], reverse=True)
    return [entry[3] for entry in stories]


def _set_prefetched(story: Story, name: str, model, objects: list) -> None:
    """What ``prefetch_related(name)`` leaves on a story: ``story.<name>.all()`` is these."""
    queryset = model._default_manager.none()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    story._prefetched_objects_cache = {**getattr(story, "_prefetched_objects_cache", {})}
    story._prefetched_objects_cache[name] = queryset
