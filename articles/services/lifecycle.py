"""A story's life after publication: kills and reinstatements, corrections and
clarifications readers are told of.

A kill takes a story off every public path at once (``published()`` leaves killed stories
out; its address answers 410) without deleting anything: the desk keeps it, and an editor
who may publish can reinstate it. A correction is prepared by anyone who may change the
story, tied to the version of the story it explains, and made public by an editor.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from reversion.errors import RevertError

from articles import wire
from articles.models import Correction, Story, Take
from articles.services import history
from articles.services.editing import save_story
from articles.services.permissions import require, require_publisher

CORRECTION_MAX_LENGTH = 2000


def mark_killed(story: Story, *, note: str = "") -> str:
    """Withdraw the story from readers; it keeps its time and address for a reinstatement."""
    if story.status == Story.Status.KILLED:
        raise ValidationError("This story is already killed.", code="already_killed")
    story.status = Story.Status.KILLED
    return f"Killed: {note}" if note else "Killed"


def mark_reinstated(story: Story) -> str:
    """Bring a killed story back as it was before the kill: to readers, at its address and
    time, if it was published; a draft if it was one (a kill notice can come for a story
    never published, and reinstating must not publish it)."""
    if story.status != Story.Status.KILLED:
        raise ValidationError("Only a killed story can be reinstated.", code="not_killed")
    story.status = status_before_kill(story)
    if story.status == Story.Status.DRAFT:
        return "Reinstated as a draft"
    return "Reinstated"


def status_before_kill(story: Story) -> str:
    """The status of the story's latest revision that was not killed: published or draft.
    A draft when its history does not say (no revision from before the kill, or one that
    can no longer be read): coming back as a draft publishes nothing by mistake."""
    for version in history.story_versions(story.pk).iterator(chunk_size=10):
        try:
            status = version.field_dict.get("status")
        except RevertError:  # saved by an older version of the model: not readable now
            continue
        if status in (Story.Status.DRAFT, Story.Status.PUBLISHED):
            return status
    return Story.Status.DRAFT


def kill_story(
    *, story: Story, user, note: str = "", expected_version: int | None = None
) -> Story:
    """Kill a story: off every public path at once. Only for users who may publish."""
    require_publisher(user)
    expected = story.version if expected_version is None else expected_version
    comment = mark_killed(story, note=note)
    return save_story(story=story, expected_version=expected, user=user, comment=comment)


def reinstate_story(*, story: Story, user, expected_version: int | None = None) -> Story:
    """Reinstate a killed story. Only for users who may publish."""
    require_publisher(user)
    expected = story.version if expected_version is None else expected_version
    comment = mark_reinstated(story)
    return save_story(story=story, expected_version=expected, user=user, comment=comment)


def clean_correction_text(text: str) -> str:
    """The text of a correction, checked as every desk text is: ``ValidationError``."""
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError("Say what was wrong and what is right.", code="blank")
    if len(text) > CORRECTION_MAX_LENGTH:
        raise ValidationError(
            f"A correction has at most {CORRECTION_MAX_LENGTH:,} characters.", code="too_long"
        )
    if found := wire.unsafe_character(text):
        raise ValidationError(
            f"The text has {wire.describe_character(found[1])}, which feeds cannot carry.",
            code="unsafe",
        )
    return text


def prepare_correction(
    *,
    story: Story,
    user,
    text: str,
    kind: str = Correction.Kind.CORRECTION,
    publish: bool = False,
    take: Take | None = None,
) -> Correction:
    """A correction or clarification of ``story``, tied to its version now (the one that
    put it right). Anyone who may change stories prepares one; publishing it (``publish``,
    or :func:`publish_correction` later) needs the publish permission. ``user`` None is the
    operator's import."""
    if user is not None:
        require(user, "articles.change_story", "Only desk staff can prepare a correction.")
        if publish:
            require_publisher(user)
    if kind not in Correction.Kind.values:
        raise ValidationError(f"Unknown kind of correction: {kind}.", code="kind")
    correction = Correction(
        story=story,
        kind=kind,
        text=clean_correction_text(text),
        story_version=story.version,
        take=take,
    )
    with transaction.atomic():
        correction.save()  # the save is the change (effects.correction_changed)
        if publish:
            _publish(correction, user=user)
    return correction


def publish_correction(*, correction: Correction, user, now: datetime | None = None) -> Correction:
    """Tell readers: the correction appears at the foot of its story and on /corrections/."""
    require_publisher(user)
    if correction.published_at is not None:
        return correction
    with transaction.atomic():
        _publish(correction, user=user, now=now)
    return correction


def _publish(correction: Correction, *, user, now: datetime | None = None) -> None:
    now = now or timezone.now()
    correction.published_at = now
    correction.save(update_fields=["published_at"])
    # Readers see when it changed (dateModified, the feeds' updated).
    Story.objects.filter(pk=correction.story_id).update(revised_at=now)
    correction.story.revised_at = now
