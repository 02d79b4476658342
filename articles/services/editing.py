"""Editing: stories written and changed in the desk, restored from a revision, recovered
after deletion, deleted.

Every save keeps a revision with who and when, and refuses what the user may not do
before anything is written (:mod:`articles.services.permissions`): a user without the
publish permission changes no story that is published as stored (read under a row lock,
:func:`_lock_for_change`) and publishes none. Two editors saving one story at the same
moment cannot both win: the second gets :class:`StaleEdit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import reversion
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles import wire
from articles.models import Section, Story
from articles.services import effects, history
from articles.services.permissions import can_publish, require, require_publisher

POSITION_PARKING = 1000
"""Added to a story's section positions while they are renumbered (positions are unique
per story, so the old numbers move out of the way first)."""


class StaleEdit(Exception):
    """A save based on a version of the story that someone else has since replaced."""

    def __init__(self, *, story_pk: int, expected_version: int):
        self.story_pk = story_pk
        self.expected_version = expected_version
        super().__init__(
            f"story {story_pk} has changed since version {expected_version} was opened"
        )


EMBARGO_EDITORS_ONLY = "Only editors can lift an embargo or bring it forward."


def embargo_shortened(stored: datetime | None, new: datetime | None) -> bool:
    """Whether changing the embargo from ``stored`` to ``new`` lifts one still to come or
    brings it forward: an editor's decision (a reporter may set one, or push it back)."""
    if stored is None or stored <= timezone.now():
        return False
    return new is None or new < stored


def _lock_for_change(story: Story, *, user) -> None:
    """Inside a transaction: lock the story's row and refuse a user without the publish
    permission if it is published as stored, or would be published by this save, or if
    the save lifts an embargo still to come or brings it forward."""
    if can_publish(user):
        return
    stored, embargo = (
        Story.objects.select_for_update()
        .filter(pk=story.pk)
        .values_list("status", "embargo")
        .first()
    ) or (None, None)
    if embargo_shortened(embargo, story.embargo):
        raise PermissionDenied(EMBARGO_EDITORS_ONLY)
    if stored == Story.Status.KILLED:
        raise PermissionDenied("This story was killed; only editors can change it.")
    if stored == Story.Status.PUBLISHED:
        raise PermissionDenied("This story is published; only editors can change it.")
    if story.status == Story.Status.PUBLISHED:
        raise PermissionDenied("Only editors can publish a story.")
    if story.status == Story.Status.KILLED:
        raise PermissionDenied("Only editors can kill a story.")


def create_story(*, story: Story, user, comment: str = "Created") -> Story:
    """Save a new story written in the desk, with a revision; its sections follow through
    :func:`save_sections` in the same transaction.

    Needs ``articles.add_story``, and the publish permission for a story saved published.
    """
    require(user, "articles.add_story", "Only desk staff who may add stories can add one.")
    if story.status == Story.Status.PUBLISHED:
        require_publisher(user)
    with transaction.atomic(), reversion.create_revision():
        story.save(force_insert=True)  # the save is the change (effects.story_saved)
        reversion.set_user(user)
        reversion.set_comment(comment)
    return story


def save_sections(
    *, story: Story, sections: Sequence[Section], deleted: Iterable[Section] = (), user
) -> None:
    """Save a story's sections as the desk edited them: ``sections`` in their new order
    (numbered 0, 1, 2…), ``deleted`` removed. Part of saving the story: call it in the
    same transaction as :func:`save_story` or :func:`create_story`.
    """
    require(user, "articles.change_story", "Only desk staff can change stories.")
    with transaction.atomic():
        _lock_for_change(story, user=user)
        for section in deleted:
            if section.pk is not None:
                section.delete()
        Section.objects.filter(story=story).update(position=F("position") + POSITION_PARKING)
        for position, section in enumerate(sections):
            section.story = story
            section.position = position
            section.save()  # each save is a change (effects.section_changed)


def save_story(*, story: Story, expected_version: int, user, comment: str = "Edited") -> Story:
    """Save an edited story, unless someone saved it after ``expected_version`` was read.

    The version check is part of the UPDATE itself, so two editors saving at the same
    moment cannot both win: the second gets :class:`StaleEdit` and nothing of theirs is
    written. Every save keeps a revision with who and when.

    Raises ``PermissionDenied`` when the story is published (as stored, read under a row
    lock) or the save would publish it, and ``user`` may not publish.
    """
    with transaction.atomic(), reversion.create_revision():
        _lock_for_change(story, user=user)
        claimed = Story.objects.filter(pk=story.pk, version=expected_version).update(
            version=F("version") + 1
        )
        if not claimed:
            raise StaleEdit(story_pk=story.pk, expected_version=expected_version)
        story.version = expected_version + 1
        story.save()  # the save is the change, its sections and tags too (effects)
        reversion.set_user(user)
        reversion.set_comment(comment)
    return story


def restore_version(*, story: Story, version, user, expected_version: int) -> Story:
    """Bring back the words of an earlier revision as a new revision.

    Headline, standfirst, byline, dateline, sections and tags come back; the publication
    state stays as it is now (publishing is a separate, permitted step). Nothing is lost:
    the state being replaced stays in the history. A published story is restored only by
    a user who may publish (``PermissionDenied``, before anything is written).
    """
    snapshot = history.snapshot_of_version(version)
    _check_publishable(snapshot)
    comment = f"Restored the version of {timezone.localtime(version.revision.date_created):%c}"
    # One revision for the whole restore: the nested save joins this one.
    # save_story refuses a user who may not change the story before anything is written.
    with transaction.atomic(), reversion.create_revision():
        _apply_words(story, snapshot)
        save_story(story=story, expected_version=expected_version, user=user, comment=comment)
        _replace_sections_and_tags(story, snapshot)
    return story


def recover_story(*, version, user) -> Story:
    """Bring a deleted story back, as a draft, from its last revision.

    It comes back under its old id (so its history still belongs to it) and as a draft
    whatever it was, so recovering never publishes anything by itself. Only users who may
    add stories recover them.
    """
    require(user, "articles.add_story", "Only desk staff who may add stories can recover one.")
    if Story.objects.filter(pk=int(version.object_id)).exists():
        raise ValidationError("This story is not deleted.")
    data = version.field_dict
    checksum = data.get("source_checksum", "")
    if checksum and Story.objects.filter(source_checksum=checksum).exists():
        raise ValidationError(
            "Its wire copy has been imported again since; edit that story instead."
        )
    snapshot = history.snapshot_of_version(version)
    _check_publishable(snapshot)
    numbers = [v.field_dict.get("version", 0) for v in history.story_versions(data["id"])]
    story = Story(
        pk=data["id"],
        slug=data["slug"],
        status=Story.Status.DRAFT,
        published_at=data.get("published_at"),
        source_text=data.get("source_text", ""),
        source_checksum=checksum,
        version=max(numbers, default=0) + 1,
    )
    _apply_words(story, snapshot)
    with transaction.atomic(), reversion.create_revision():
        story.save(force_insert=True)
        _replace_sections_and_tags(story, snapshot)
        effects.stories_changed([story.pk], public=False)
        reversion.set_user(user)
        reversion.set_comment("Recovered after deletion, as a draft")
    return story


def delete_stories(*, stories: Iterable[Story], user) -> None:
    """Delete stories; their revisions stay, so they can be recovered. Editors only."""
    require(user, "articles.delete_story", "Only editors can delete stories.")
    pks = [story.pk for story in stories]
    with transaction.atomic():
        Story.objects.filter(pk__in=pks).delete()  # each delete is a change (effects)


def _check_publishable(snapshot: history.Snapshot) -> None:
    """Refuse words saved before the desk refused what feeds cannot carry (a vertical tab,
    U+FFFF): bringing them back would break the feeds. Raises ``ValidationError``."""
    texts = [
        ("headline", snapshot.headline),
        ("standfirst", snapshot.standfirst),
        ("byline", snapshot.byline),
        ("dateline place", snapshot.dateline_place),
        ("credit", snapshot.dateline_credit),
        *(("subheading", subheading) for subheading, _ in snapshot.sections),
        *(("text", paragraph) for _, paragraphs in snapshot.sections for paragraph in paragraphs),
        *(("tag", tag) for tag in snapshot.tags),
    ]
    for label, text in texts:
        if found := wire.unsafe_character(text):
            raise ValidationError(
                f"That revision's {label} has {wire.describe_character(found[1])}, which "
                "feeds cannot carry; nothing was changed. Edit the story instead."
            )


def _apply_words(story: Story, snapshot: history.Snapshot) -> None:
    story.headline = snapshot.headline
    story.standfirst = snapshot.standfirst
    story.byline = snapshot.byline
    story.dateline_place = snapshot.dateline_place
    story.dateline_date = snapshot.dateline_date
    story.dateline_credit = snapshot.dateline_credit


def _replace_sections_and_tags(story: Story, snapshot: history.Snapshot) -> None:
    story.sections.all().delete()
    Section.objects.bulk_create(
        Section.of_paragraphs(
            story=story, position=position, subheading=subheading, paragraphs=paragraphs
        )
        for position, (subheading, paragraphs) in enumerate(snapshot.sections)
    )
    story.tags.set(list(snapshot.tags))
