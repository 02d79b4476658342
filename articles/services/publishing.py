"""Publishing: now, at a time to come (scheduling), or taking a story off the public site.

``mark_*`` change a story in memory and say what they did (the revision's comment); the
desk's change form uses them before its save. ``publish_story``, ``schedule_story`` and
``unpublish_story`` are the whole workflow: the publish permission, the mark, and
:func:`~articles.services.editing.save_story`.

A story's address is ``/<year>/<month>/<day>/<slug>/``: its slug is unique on its
publication day, made so by :func:`give_unique_slugs` whoever gives it that day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from articles.models import Story
from articles.services.editing import save_story
from articles.services.permissions import require_publisher
from articles.slugs import first_free

SCHEDULE_IN_THE_FUTURE = "To schedule a story, give a publication time in the future."
KILLED_NOT_UNPUBLISHED = (
    "This story was killed: it is off the site already. Reinstate it first to make it a draft."
)
KILLED_NOT_PUBLISHED = (
    "This story was killed: reinstate it to bring it back (the publish permission is needed)."
)


def give_unique_slugs(stories: Sequence[Story], *, in_database: bool = True) -> None:
    """Give each story with a publication time a slug no other story has on that day, in
    order: its own, else ``slug-2``, ``slug-3``… (:func:`articles.slugs.first_free`).

    Checked against the stories before it in ``stories`` and, unless ``in_database`` is
    off (a fixture being built), the database's other stories, in one query for them all.
    A story without a publication time keeps its slug: it gets a day when it is published.
    """
    dated = [story for story in stories if story.published_at is not None]
    if not dated:
        return
    day_of = {id(story): timezone.localtime(story.published_at).date() for story in dated}
    taken: dict[date, set[str]] = defaultdict(set)
    if in_database:
        wanted = Q()
        for day, slug in {(day_of[id(story)], story.slug) for story in dated}:
            wanted |= Q(published_at__date=day, slug__startswith=slug)
        others = Story.objects.filter(wanted).exclude(
            pk__in=[story.pk for story in dated if story.pk is not None]
        )
        for published_at, slug in others.values_list("published_at", "slug"):
            taken[timezone.localtime(published_at).date()].add(slug)
    for story in dated:
        day_taken = taken[day_of[id(story)]]
        story.slug = first_free(story.slug, day_taken)
        day_taken.add(story.slug)


def check_schedule_time(at: datetime | None) -> None:
    """Refuse a schedule time that is not in the future (``ValidationError``)."""
    if at is None or at <= timezone.now():
        raise ValidationError(SCHEDULE_IN_THE_FUTURE, code="schedule_in_the_past")


def check_publishable_now(story: Story, *, now: datetime) -> None:
    """Refuse to publish now a killed story (it is reinstated instead) or one whose
    embargo has not passed (it can be published at the embargo): ``ValidationError``."""
    if story.status == Story.Status.KILLED:
        raise ValidationError(KILLED_NOT_PUBLISHED, code="killed")
    if story.embargo is not None and story.embargo > now:
        raise ValidationError(
            f"Embargoed until {timezone.localtime(story.embargo):%d %B %Y %H:%M %Z}: it cannot "
            "be published before then. Publish it at the embargo instead, and it comes out "
            "by itself.",
            code="embargoed",
        )


def mark_published(story: Story, *, now: datetime | None = None) -> str:
    """Make the story public now (a story already public keeps its time and address).
    Refused for a killed story and before the story's embargo (:func:`check_publishable_now`)."""
    now = now or timezone.now()
    check_publishable_now(story, now=now)
    if story.published_at is None or story.published_at > now:
        story.published_at = now
    story.status = Story.Status.PUBLISHED
    give_unique_slugs([story])
    return "Published"


def mark_scheduled(story: Story, *, at: datetime | None) -> str:
    """Publish the story by itself at ``at``, which must be in the future."""
    try:
        check_schedule_time(at)
        if story.status == Story.Status.KILLED:
            raise ValidationError(KILLED_NOT_PUBLISHED, code="killed")
        if story.embargo is not None and at < story.embargo:
            raise ValidationError(
                "That is before the story's embargo "
                f"({timezone.localtime(story.embargo):%d %B %Y %H:%M %Z}): schedule it for "
                "the embargo or later.",
                code="before_embargo",
            )
    except ValidationError as error:
        raise ValidationError({"published_at": error.messages}) from None
    story.status = Story.Status.PUBLISHED
    story.published_at = at
    give_unique_slugs([story])
    return f"Scheduled for {timezone.localtime(at):%Y-%m-%d %H:%M %Z}"


def mark_published_at_embargo(story: Story) -> str:
    """Hold the story until its embargo and publish it then, by itself (a scheduled story
    whose time is the embargo); an embargo already passed publishes it now."""
    if story.embargo is None or story.embargo <= timezone.now():
        return mark_published(story)
    return mark_scheduled(story, at=story.embargo)


def mark_unpublished(story: Story) -> str:
    """Take the story off the public site; it keeps its time for when it comes back.
    Refused for a killed story: it is off the site already, and a draft would lose the
    kill that partners and its 410 answer tell of (reinstate it first)."""
    if story.status == Story.Status.KILLED:
        raise ValidationError(KILLED_NOT_UNPUBLISHED, code="killed")
    story.status = Story.Status.DRAFT
    return "Unpublished"


def publish_story(*, story: Story, user, expected_version: int | None = None) -> Story:
    """Publish now. Only for users with the publish permission."""
    return _change_publication(
        story, user=user, expected_version=expected_version, mark=mark_published
    )


def schedule_story(
    *, story: Story, user, at: datetime, expected_version: int | None = None
) -> Story:
    """Publish at a future time, with no job needed: ``published()`` lets it in then."""
    return _change_publication(
        story,
        user=user,
        expected_version=expected_version,
        mark=lambda s: mark_scheduled(s, at=at),
    )


def publish_at_embargo(*, story: Story, user, expected_version: int | None = None) -> Story:
    """Publish when the embargo passes (now, if it has)."""
    return _change_publication(
        story, user=user, expected_version=expected_version, mark=mark_published_at_embargo
    )


def unpublish_story(*, story: Story, user, expected_version: int | None = None) -> Story:
    """Take a story off the public site."""
    return _change_publication(
        story, user=user, expected_version=expected_version, mark=mark_unpublished
    )


def _change_publication(story: Story, *, user, expected_version: int | None, mark) -> Story:
    require_publisher(user)
    expected = story.version if expected_version is None else expected_version
    comment = mark(story)
    return save_story(story=story, expected_version=expected, user=user, comment=comment)
