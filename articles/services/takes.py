"""Later takes joining the story they belong to: updates, corrections, refiles and kills.

Agency copy comes in takes, and only the first one makes a story. A later take finds the
story it belongs to (:func:`find_story`):

- a story the editor named (a sidecar's ``story = 12`` or ``slug = "…"``, the wire desk's
  choice) wins, and one that does not exist is refused rather than guessed at;
- otherwise the story must have the take's headline without its prefixes (compared, case
  and spacing aside, with its headline now and the headline of each of its takes), the
  same dateline place and credit (case aside), and a take within :data:`MATCH_WINDOW` of
  this one. Exactly one such story is the one; none, or several, and the take is kept as a
  draft of its own with a one-line reason: the importer never guesses.

Joining (:func:`apply_take`) keeps the story's address, status, publication time and tags.
An update, correction or refile replaces its words (headline, sections, dateline date)
through a versioned save with a revision saying which take it was; a kill notice kills the
story. The take itself is kept with its verbatim copy, and a correction take also becomes a
:class:`~articles.models.Correction` for readers. Search and the page caches follow after
commit, as for every save (:mod:`articles.services.effects`).

Who may do it: the operator's import (``user`` None) anything; a desk user who may change
stories joins a take to a draft, and only one who may publish joins a take to a published
or killed story, or applies a kill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import reversion
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Prefetch
from django.db.models.functions import Coalesce

from articles import wire
from articles.models import Section, Story, Take
from articles.services.editing import save_story
from articles.services.lifecycle import mark_killed, prepare_correction
from articles.services.permissions import can_publish, require
from articles.services.wire_copy import build_sections, build_take
from articles.slugs import place_slug
from articles.takes import supersedes, was_live

MATCH_WINDOW = timedelta(hours=72)
"""How far apart a take and the latest take of its story may be."""

UNSTORED_FIELDS = ("search_vector", "search_document")
"""Left unread on the story a take joins: derived after commit, never saved from here."""

KIND_NAMES = {
    "update": "update",
    "correction": "correction",
    "refile": "refile",
    "kill": "kill notice",
    "original": "first take",
}

CORRECTION_WITHOUT_NOTE = "The agency corrected this story."


class TakeRefused(ValueError):
    """A take that cannot be applied as it stands; ``str()`` says why on one line. Nothing
    of it is written."""


@dataclass(frozen=True)
class Match:
    """The story a take belongs to, or why there is none (``reason``, one line)."""

    story: Story | None
    reason: str = ""
    named: bool = False
    """Named by the editor (a sidecar, the desk), not found by the match."""


def take_time(parsed: wire.WireStory, *, now: datetime) -> datetime:
    """When a take was filed: its timestamp line, or ``now`` for copy without one."""
    return (parsed.published_at or now).astimezone(UTC)


def take_order(parsed: wire.WireStory, *, now: datetime) -> tuple:
    """The order later takes are applied in: by their time, then update number."""
    return (take_time(parsed, now=now), parsed.revision or 0)


def stories_of_takes(checksums: set[str], *, defer: tuple[str, ...] = ()) -> dict[str, Story]:
    """The stories that already hold a take of these checksums (a later take imported
    before joined its story: it is not a story's own copy), ``defer`` left unread."""
    if not checksums:
        return {}
    found = (
        Take.objects.filter(checksum__in=checksums)
        .select_related("story")
        .only("checksum", "story")
        .defer(*(f"story__{name}" for name in defer))
    )
    return {take.checksum: take.story for take in found}


def take_label(kind: str, revision: int | None) -> str:
    """``update 2``, ``correction``, ``kill notice``…: the take in a sentence."""
    label = KIND_NAMES.get(kind, kind)
    return f"{label} {revision}" if kind == "update" and revision else label


def same_headline(a: str, b: str) -> bool:
    """Whether two headlines are the same words, whatever their case and spacing."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def find_story(
    parsed: wire.WireStory,
    *,
    now: datetime,
    story: int | None = None,
    slug: str | None = None,
    lock: bool = False,
) -> Match:
    """The story ``parsed`` (a later take) belongs to: the one named by ``story`` (an id)
    or ``slug``, else the one match on headline, dateline and time (the module's rules).

    Raises :class:`TakeRefused` for a named story that does not exist, or a slug that
    names several. ``lock`` reads the story found under a row lock (inside the import's
    transaction), so no desk save slips in between the match and the join.
    """
    if story is not None or slug is not None:
        return Match(named_story(story=story, slug=slug, lock=lock), named=True)
    label = take_label(parsed.kind, None)
    dateline = parsed.dateline
    if dateline is None or not dateline.place:
        return Match(None, reason=f'{label} headed "{parsed.headline}" has no dateline to match')
    at = take_time(parsed, now=now)
    matching = [
        story.pk
        for story in _in_window(parsed, at=at, same_credit=True)
        .only("pk", "headline")
        .prefetch_related(Prefetch("takes", queryset=Take.objects.only("story", "headline")))
        if _headed(story, parsed.headline)
    ]
    if len(matching) == 1:
        stories = Story.objects.select_for_update() if lock else Story.objects.all()
        return Match(_read(stories.filter(pk=matching[0])).get())
    origin = dateline.place + (f" ({dateline.credit})" if dateline.credit else "")
    hours = int(MATCH_WINDOW.total_seconds() // 3600)
    if not matching:
        reason = (
            f'{label} with no earlier story headed "{parsed.headline}" from {origin} '
            f"within {hours} hours"
        )
    else:
        ids = ", ".join(str(pk) for pk in sorted(matching))
        reason = (
            f'{label} headed "{parsed.headline}" from {origin}: {len(matching)} stories '
            f"match (ids {ids})"
        )
    return Match(None, reason=reason)


def nearby_stories(
    parsed: wire.WireStory, *, at: datetime, same_credit: bool = False, limit: int = 50
) -> list[Story]:
    """The latest ``limit`` stories from the take's dateline place (and credit) with a
    take within :data:`MATCH_WINDOW` of ``at``, latest first, their takes' headlines
    prefetched: the wire desk's list to choose another story from."""
    stories = (
        _read(_in_window(parsed, at=at, same_credit=same_credit))
        .prefetch_related(Prefetch("takes", queryset=Take.objects.only("story", "headline")))
        .order_by("-latest_take", "-pk")
    )
    return list(stories[:limit])


def _in_window(parsed: wire.WireStory, *, at: datetime, same_credit: bool):
    """Stories from the take's dateline place (and credit, case aside) whose latest take
    (or publication) is within :data:`MATCH_WINDOW` of ``at``; every one of them, however
    busy the bureau: the match compares each one's headlines."""
    dateline = parsed.dateline
    if dateline is None or not dateline.place:
        return Story.objects.none()
    stories = Story.objects.filter(
        place_slug=place_slug(dateline.place), dateline_place__iexact=dateline.place
    )
    if same_credit:
        stories = stories.filter(dateline_credit__iexact=dateline.credit)
    return stories.annotate(
        latest_take=Coalesce(Max("takes__received_at"), "published_at", "created_at")
    ).filter(latest_take__gte=at - MATCH_WINDOW, latest_take__lte=at + MATCH_WINDOW)


def named_story(*, story: int | None = None, slug: str | None = None, lock: bool = False) -> Story:
    """The story an editor named by id or slug; :class:`TakeRefused` if there is none, or
    if the slug (unique only for its day) names several."""
    stories = Story.objects.select_for_update() if lock else Story.objects.all()
    if story is not None:
        found = _read(stories.filter(pk=story)).first()
        if found is None:
            raise TakeRefused(f"there is no story {story} to add this take to")
        return found
    found = list(_read(stories.filter(slug=slug)).order_by("pk")[:10])
    if not found:
        raise TakeRefused(f'no story has the slug "{slug}" to add this take to')
    if len(found) > 1:
        ids = ", ".join(str(s.pk) for s in found)
        raise TakeRefused(
            f'{len(found)} stories have the slug "{slug}" (ids {ids}): name one with story = <id>'
        )
    return found[0]


def check_may_apply(parsed: wire.WireStory, *, story: Story, user) -> None:
    """Refuse, before anything is written, a desk user who may not apply this take to
    this story (``PermissionDenied``); the operator's import (``user`` None) may."""
    if user is None:
        return
    require(user, "articles.change_story", "Only desk staff who may change stories can do this.")
    if can_publish(user):
        return
    if parsed.kind == "kill":
        raise PermissionDenied(
            "Only editors can apply a kill notice: it takes the story off every public path."
        )
    if story.status != Story.Status.DRAFT:
        raise PermissionDenied(
            f"“{story.headline}” is {story.get_status_display().lower()}: only editors can "
            "apply a take to it."
        )


def apply_take(
    parsed: wire.WireStory, *, story: Story, user, now: datetime
) -> tuple[Take, Take | None]:
    """Add ``parsed``, a later take, to ``story`` and act on it (the module's rules); the
    saved :class:`Take`, and the story's newer take when it was only kept (below). In one
    transaction: refused or failed, nothing of it is written.

    A take older than one the story already has (delayed, or replayed) is kept in the
    history and changes nothing else: its words are not the latest. A correction among
    them is prepared for the desk to judge, not published. A kill always applies.

    Raises ``PermissionDenied`` (:func:`check_may_apply`), and :class:`TakeRefused` for an
    embargo that a story already public cannot honour.
    """
    check_may_apply(parsed, story=story, user=user)
    at = take_time(parsed, now=now)
    take = build_take(parsed, story=story, received_at=at)
    if parsed.kind == "kill":
        with transaction.atomic():
            if story.status != Story.Status.KILLED:  # killed already: the take is kept
                comment = mark_killed(story, note=parsed.note or "kill notice from the wire")
                _save(story, user=user, comment=comment)
            take.save()
        return take, None
    if (newer := newer_take(parsed, story=story, at=at)) is not None:
        with transaction.atomic():
            take.save()
            if parsed.kind == "correction":
                _correct(parsed, story=story, take=take, user=user, publish=False)
        return take, newer
    embargo = _embargo_for(parsed, story=story, now=now)
    # One revision for the story and its new sections, as restore_version makes one.
    with transaction.atomic(), reversion.create_revision():
        story.headline = parsed.headline
        if parsed.dateline is not None and parsed.dateline.date is not None:
            story.dateline_date = parsed.dateline.date
        if embargo is not None:
            story.embargo = embargo
        if parsed.kind in ("update", "correction") or parsed.note:
            story.revised_at = at
        _save(story, user=user, comment=revision_comment(parsed))
        _replace_sections(story, parsed)
        take.save()
        if parsed.kind == "correction":
            may_publish = user is None or can_publish(user)
            _correct(
                parsed,
                story=story,
                take=take,
                user=user,
                publish=may_publish and story.status == Story.Status.PUBLISHED,
            )
            if story.revised_at != at:  # publishing it said "now": the take's time it is
                Story.objects.filter(pk=story.pk).update(revised_at=at)
                story.revised_at = at
    return take, None


def newer_take(parsed: wire.WireStory, *, story: Story, at: datetime) -> Take | None:
    """The story's newest later take that supersedes ``parsed`` (filed at ``at``), or None
    when ``parsed`` is the latest: see :func:`supersedes`. First takes and kill notices do
    not count (a first take pasted without a timestamp is dated on arrival)."""
    later = [
        take
        for take in story.takes.exclude(kind__in=(Take.Kind.ORIGINAL, Take.Kind.KILL)).only(
            "kind", "revision", "received_at", "headline"
        )
        if supersedes(take, revision=parsed.revision, at=at)
    ]
    return max(later, key=lambda take: (take.received_at, take.pk), default=None)


def _correct(parsed: wire.WireStory, *, story: Story, take: Take, user, publish: bool) -> None:
    prepare_correction(
        story=story,
        user=user,
        text=parsed.note or CORRECTION_WITHOUT_NOTE,
        take=take,
        publish=publish,
    )


def revision_comment(parsed: wire.WireStory) -> str:
    """The history's line for a take: ``Update 2 from the wire: Adds death toll…``."""
    comment = take_label(parsed.kind, parsed.revision).capitalize() + " from the wire"
    if parsed.kind == "correction" and parsed.revision:
        comment = f"Correction of update {parsed.revision} from the wire"
    return f"{comment}: {parsed.note}" if parsed.note else comment


def _embargo_for(parsed: wire.WireStory, *, story: Story, now: datetime) -> datetime | None:
    """The embargo the take gives the story: none when it has none or it has passed; its
    own for a story not yet public. A story readers already see cannot be held back, so
    the take is refused (:class:`TakeRefused`) rather than applied as if it could."""
    if parsed.embargo is None or parsed.embargo <= now:
        return None
    if was_live(story.listing(), now=now):
        raise TakeRefused(
            f"{take_label(parsed.kind, parsed.revision)} embargoed until "
            f"{parsed.embargo:%Y-%m-%d %H:%M} UTC for “{story.headline}” (story {story.pk}), "
            "which is already public: an embargo cannot be honoured now; not applied"
        )
    return parsed.embargo


def _replace_sections(story: Story, parsed: wire.WireStory) -> None:
    story.sections.all().delete()
    Section.objects.bulk_create(build_sections(parsed, story=story))


def _save(story: Story, *, user, comment: str) -> None:
    """A versioned save with a revision: :func:`save_story` for a desk user; for the
    operator's import, the same on the row :func:`find_story` locked (``save_story``
    lets no one without the publish permission change a published story, and the
    operator is no desk user: the import's own rule, see ``permissions``)."""
    if user is not None:
        save_story(story=story, expected_version=story.version, user=user, comment=comment)
        return
    with transaction.atomic(), reversion.create_revision():
        story.version += 1
        story.save()  # the save is the change (effects.story_saved)
        reversion.set_comment(comment)


def _read(stories):
    return stories.defer(*UNSTORED_FIELDS)


def _headed(story: Story, headline: str) -> bool:
    return same_headline(story.headline, headline) or any(
        same_headline(take.headline, headline) for take in story.takes.all()
    )
