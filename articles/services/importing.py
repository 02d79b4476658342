"""Importing wire copy: parsed copy saved as stories, in batches, idempotently.

The same copy imported again changes nothing (a story is known by its copy's checksum), a
batch costs a few queries for its stories, sections and tags whatever its size, and each
story gets its own revision (:mod:`articles.services.revisions`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from articles.models import DESK_ONLY_FIELDS, Section, Story, TaggedStory, Take
from articles.search import first_line
from articles.services import effects, takes
from articles.services.permissions import require, require_publisher
from articles.services.publishing import give_unique_slugs
from articles.services.revisions import record_revisions
from articles.services.tags import tags_named
from articles.services.wire_copy import (
    WireCopy,
    build_story,
    build_take,
    check_searchable,
    parse_copy,
)

logger = logging.getLogger(__name__)

IMPORT_COMMENT = "Imported from wire copy"

IMPORT_LOCK_KEY = 0x6E_65_77_73  # "news": pg_advisory_xact_lock's key for import batches
"""Every import batch on PostgreSQL takes this transaction-level advisory lock first, so two
imports running at once save their batches one after the other (each finding what the
other committed) instead of inserting the same copy in two orders and deadlocking."""

BATCH_ATTEMPTS = 4
"""Tries of a batch that PostgreSQL rolled back for a deadlock or a serialization failure."""
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure

INSERT_BATCH = 1000
"""Rows per INSERT of stories, sections and story tags."""


@dataclass(frozen=True)
class ImportResult:
    """What importing one take did: made a story (``created``), joined an earlier one
    (``joined``), kept a later take as a draft of its own (``created`` with a
    ``draft_reason``), or nothing, the take being known already (neither)."""

    story: Story
    created: bool
    search_missing: bool = False
    """Imported before, but its search fields were never filled (see import_wire_batch)."""
    joined: bool = False
    kind: str = "original"
    revision: int | None = None
    draft_reason: str = ""
    """Why a later take became a draft of its own: no earlier story, or several."""
    newer: str = ""
    """The story's newer take (``update 2``) when this older one was only kept."""

    @property
    def outcome(self) -> str:
        """``created``, ``joined``, ``draft`` (a later take kept apart) or ``unchanged``."""
        if self.joined:
            return "joined"
        if not self.created:
            return "unchanged"
        return "draft" if self.draft_reason else "created"

    def describe(self) -> str:
        """One line for the operator: ``joined "Headline" (story 12) as update 2``."""
        story = self.story
        if self.outcome == "joined":
            line = (
                f'joined "{story.headline}" (story {story.pk}) as '
                f"{takes.take_label(self.kind, self.revision)}"
            )
            if self.newer:
                line += f", kept in its history only: the story has a newer {self.newer}"
            return line
        if self.outcome == "unchanged":
            return f"already imported as story {story.pk}"
        if self.outcome == "draft":
            return f"{self.draft_reason}: saved as a draft (story {story.pk})"
        return f"imported as story {story.pk} ({story.status}): {story.headline}"


def import_wire_copy(
    *,
    data: str | bytes,
    publish: bool = False,
    tags: tuple[str, ...] | None = None,
    today: date | None = None,
    user=None,
    story: int | None = None,
    as_new: bool = False,
) -> ImportResult:
    """Save wire copy as a story, or add it to the story it is a later take of; the same
    copy imported again changes nothing.

    Raises :class:`wire.WireError` for copy that cannot be parsed (or indexed for search,
    :func:`check_searchable`), before anything is written, and
    :class:`~articles.services.takes.TakeRefused` or ``PermissionDenied`` for a take that
    cannot be applied (nothing written). ``tags`` (from a sidecar or an editor) replace the
    parser's suggestions of a new story. A published story takes the copy's timestamp, or
    now when the copy has none. ``story`` (an id) names the story a later take joins;
    ``as_new`` keeps it a draft of its own instead (the wire desk's choices).
    """
    parsed = parse_copy(data, today=today)
    check_searchable(parsed)
    copy = WireCopy(parsed, publish=publish, tags=tags, story=story, as_new=as_new)
    (result,) = import_wire_batch([copy], user=user)
    if isinstance(result, Exception):
        raise result
    return result


def is_retryable(exc: BaseException) -> bool:
    """Whether the database rolled this back for a deadlock or a serialization failure,
    which the same work tried again can get past."""
    return isinstance(exc, OperationalError) and (
        getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES
    )


def import_wire_batch(
    copies: Sequence[WireCopy], *, user=None
) -> list[ImportResult | DatabaseError | takes.TakeRefused]:
    """Save many pieces of parsed copy as stories in one transaction; one result each, in order.

    The same thing as :func:`import_wire_copy` for each, with a few queries for the whole
    batch of first takes instead of dozens per story: copy already imported (a story's own,
    or a take of one, or twice in the batch) gives the existing story; the stories, their
    sections, tags, story tags and takes are inserted in bulk, each story gets its own
    revision, and the search fields and cached pages are made current after commit
    (:func:`effects.stories_changed`; the pages only if a story published). Stories are
    inserted in the order of their copy's checksum; their ids follow it, and each keeps
    its copy as its original take.

    Later takes (updates, corrections, refiles, kills, and copy whose sidecar names its
    story) come after the first takes, one at a time, each in a savepoint
    (:mod:`articles.services.takes`): joined to the story they belong to, which may be one
    this batch made, or kept as a draft of their own with the reason. One that cannot be
    applied (:class:`~articles.services.takes.TakeRefused`) is that copy's result and writes
    nothing; ``PermissionDenied`` for a desk user rolls back the batch and is raised.

    On PostgreSQL the transaction first takes an advisory lock (:data:`IMPORT_LOCK_KEY`) and
    only then looks for copy already imported: batches of imports running at once are saved
    one after the other, and none inserts what another has just committed. A batch rolled
    back for a deadlock or serialization failure anyway is tried again, up to
    :data:`BATCH_ATTEMPTS` times, when this is the outermost transaction (inside a caller's
    transaction the error is raised: only the caller can start again).

    An already imported story whose search fields were never filled (an import stopped
    before its search refresh) comes back with ``search_missing``, and is refreshed with
    the new ones.

    If the database refuses the batch (a value too long to store, say), it is saved again
    one story at a time, in checksum order, each in its own savepoint: a story the database
    refuses leaves nothing behind, and its result is the database's error instead of an
    :class:`ImportResult`; the others go in. Any other exception rolls back the whole batch
    and is raised.

    A ``user`` (the desk) needs ``articles.add_story``, and the publish permission for copy
    to publish; without one (a command, run by the operator) anything may be imported.
    """
    if user is not None:
        require(user, "articles.add_story", "Only desk staff who may add stories can import copy.")
        if any(copy.publish for copy in copies):
            require_publisher(user)
    attempts = BATCH_ATTEMPTS if transaction.get_autocommit() else 1
    for attempt in range(1, attempts):
        try:
            return _import_wire_batch(copies, user=user)
        except OperationalError as exc:
            if not is_retryable(exc):
                raise
            logger.warning(
                "Import batch of %d copies rolled back (%s); trying again (%d of %d)",
                len(copies),
                first_line(exc),
                attempt + 1,
                attempts,
            )
            time.sleep(random.uniform(0, 0.05 * attempt))
    return _import_wire_batch(copies, user=user)


def _import_wire_batch(
    copies: Sequence[WireCopy], *, user
) -> list[ImportResult | DatabaseError | takes.TakeRefused]:
    results: list[ImportResult | DatabaseError | takes.TakeRefused | None] = [None] * len(copies)
    checksums = [copy.parsed.checksum for copy in copies]
    postgresql = connection.vendor == "postgresql"
    now = timezone.now()
    with transaction.atomic():
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
        stories = (
            Story.objects.exclude(source_checksum="")
            .filter(source_checksum__in=set(checksums))
            .defer(*DESK_ONLY_FIELDS)
        )
        if postgresql:
            stories = stories.annotate(
                search_missing=ExpressionWrapper(
                    Q(search_vector__isnull=True), output_field=BooleanField()
                )
            )
        existing = {story.source_checksum: story for story in stories}
        existing |= takes.stories_of_takes(set(checksums) - set(existing), defer=DESK_ONLY_FIELDS)
        first_of: dict[str, int] = {}
        new: list[int] = []
        later: list[int] = []
        repaired: list[Story] = []
        for i, checksum in enumerate(checksums):
            if checksum in existing:
                story = existing[checksum]
                missing = getattr(story, "search_missing", False)
                results[i] = ImportResult(story=story, created=False, search_missing=missing)
                if missing and story not in repaired:
                    repaired.append(story)
            elif checksum not in first_of:
                first_of[checksum] = i
                (new if is_first_take(copies[i]) else later).append(i)

        if new:
            try:
                with transaction.atomic():
                    saved = _save_new_stories([copies[i] for i in new], user=user, now=now)
                for i, story in zip(new, saved, strict=True):
                    results[i] = _created(copies[i], story)
            except (IntegrityError, DataError):
                # Which one? Each on its own, so only the refused ones are left out; in
                # checksum order, the order the batch insert takes its locks in.
                for i in sorted(new, key=lambda i: checksums[i]):
                    results[i] = _save_one(copies[i], user=user, now=now)
        # After the first takes, one at a time, oldest first (by time, then update
        # number; files come in any order, update10 before update2): an update may join
        # a story that this very batch made, and a later one then follows it.
        later.sort(key=lambda i: takes.take_order(copies[i].parsed, now=now))
        for i in later:
            results[i] = _import_take(copies[i], user=user, now=now)
        created = [r.story for r in results if isinstance(r, ImportResult) and r.created]
        if changed := [*created, *repaired]:
            effects.stories_changed(
                [story.pk for story in changed],
                public=any(story.status == Story.Status.PUBLISHED for story in changed),
            )
    for i, checksum in enumerate(checksums):
        if results[i] is None:  # the same copy earlier in this batch
            first = results[first_of[checksum]]
            results[i] = (
                ImportResult(story=first.story, created=False)
                if isinstance(first, ImportResult)
                else first
            )
    return results


def is_first_take(copy: WireCopy) -> bool:
    """Whether ``copy`` makes a story of its own in the batch's bulk insert: a first take
    with no story named, or a later one the desk chose to keep apart."""
    named = copy.story is not None or copy.slug is not None
    return copy.as_new or (copy.parsed.kind == "original" and not named)


def _import_take(
    copy: WireCopy, *, user, now: datetime
) -> ImportResult | DatabaseError | takes.TakeRefused:
    """A later take, in a savepoint: joined to its story, or kept as a draft of its own
    when there is none or several (never guessed); refused takes write nothing."""
    parsed = copy.parsed
    details = {"kind": parsed.kind, "revision": parsed.revision}
    try:
        with transaction.atomic():
            if parsed.kind == "original":
                raise takes.TakeRefused(
                    "a first take makes a story of its own: the story named in its sidecar "
                    "is for updates, corrections, refiles and kills"
                )
            match = takes.find_story(parsed, now=now, story=copy.story, slug=copy.slug, lock=True)
            if match.story is None:
                draft = replace(copy, publish=False)
                (story,) = _save_new_stories([draft], user=user, now=now)
                return ImportResult(
                    story=story, created=True, draft_reason=match.reason, **details
                )
            _, newer = takes.apply_take(parsed, story=match.story, user=user, now=now)
            return ImportResult(
                story=match.story,
                created=False,
                joined=True,
                newer=takes.take_label(newer.kind, newer.revision) if newer else "",
                **details,
            )
    except takes.TakeRefused as exc:
        return exc
    except ValidationError as exc:  # a service's refusal (a correction's text, say)
        return takes.TakeRefused(" ".join(exc.messages))
    except (IntegrityError, DataError) as exc:
        return exc


def _save_one(copy: WireCopy, *, user, now: datetime) -> ImportResult | DatabaseError:
    try:
        with transaction.atomic():
            (story,) = _save_new_stories([copy], user=user, now=now)
    except IntegrityError as exc:
        # Not copy imported meanwhile (the advisory lock rules that out on PostgreSQL), but
        # to be sure: the story already there is the result.
        existing = Story.objects.filter(source_checksum=copy.parsed.checksum).first()
        if existing is None:
            return exc
        return ImportResult(story=existing, created=False)
    except DataError as exc:
        return exc
    return _created(copy, story)


def _created(copy: WireCopy, story: Story) -> ImportResult:
    parsed = copy.parsed
    return ImportResult(story=story, created=True, kind=parsed.kind, revision=parsed.revision)


def _save_new_stories(copies: Sequence[WireCopy], *, user, now: datetime) -> list[Story]:
    """Insert stories for ``copies`` with their sections, tags, takes and revisions; in
    order.

    Embargoed copy keeps its embargo; published, it takes the later of its time and the
    embargo, so that it comes out by itself then and is on no public path before.
    """
    stories, sections, filed = [], [], []
    for copy in copies:
        # In UTC, as the story reads back from the database: its revision (serialised from
        # this instance) then says "...Z" as the desk's do, not the wire's offset.
        filed.append(takes.take_time(copy.parsed, now=now))
        published_at = filed[-1] if copy.publish else None
        embargo = copy.parsed.embargo
        if published_at is not None and embargo is not None:
            published_at = max(published_at, embargo.astimezone(UTC))
        story, story_sections = build_story(
            copy.parsed,
            status=Story.Status.PUBLISHED if copy.publish else Story.Status.DRAFT,
            published_at=published_at,
        )
        story.embargo = embargo
        stories.append(story)
        sections.append(story_sections)
    give_unique_slugs(stories)
    Story.objects.bulk_create(
        sorted(stories, key=lambda story: story.source_checksum), batch_size=INSERT_BATCH
    )
    Section.objects.bulk_create(
        [section for story_sections in sections for section in story_sections],
        batch_size=INSERT_BATCH,
    )
    names = [list(c.tags if c.tags is not None else c.parsed.tags) for c in copies]
    tag_for = tags_named(name for story_names in names for name in story_names)
    tagged = []
    for story, story_names in zip(stories, names, strict=True):
        story_tags = {tag_for[name].pk: tag_for[name] for name in story_names}.values()
        tagged += [TaggedStory(content_object=story, tag=tag) for tag in story_tags]
    TaggedStory.objects.bulk_create(tagged, batch_size=INSERT_BATCH)
    Take.objects.bulk_create(
        [
            build_take(copy.parsed, story=story, received_at=at)
            for copy, story, at in zip(copies, stories, filed, strict=True)
        ],
        batch_size=INSERT_BATCH,
    )
    record_revisions(stories, user=user, comment=IMPORT_COMMENT, date_created=now)
    return stories
