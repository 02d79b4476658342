"""Small factories for stories in tests."""

from datetime import timedelta
from itertools import count

from django.utils import timezone

from articles.models import Section, Story

_numbers = count(1)


def make_story(
    *,
    headline: str | None = None,
    status: str = Story.Status.PUBLISHED,
    published_at=None,
    ago: timedelta | None = timedelta(hours=1),
    sections: list[tuple[str, list[str]]] | None = None,
    tags: list[str] = (),
    **fields,
) -> Story:
    """A story published an hour ago unless told otherwise (``ago=-timedelta(...)`` is future)."""
    n = next(_numbers)
    if published_at is None and ago is not None:
        published_at = timezone.now() - ago
    story = Story.objects.create(
        headline=headline or f"Story number {n}",
        slug=fields.pop("slug", f"story-number-{n}"),
        status=status,
        published_at=published_at,
        **fields,
    )
    if sections is None:
        sections = [("", [f"Lead paragraph of story {n}."])]
    Section.objects.bulk_create(
        Section(story=story, position=i, subheading=sub, body="\n\n".join(paragraphs))
        for i, (sub, paragraphs) in enumerate(sections)
    )
    if tags:
        story.tags.set(list(tags))
    return story
