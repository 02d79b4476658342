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
from dataclasses import dataclass
from datetime import UTC, date

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

from articles.models import DESK_ONLY_FIELDS, Section, Story, TaggedStory
from articles.search import first_line
from articles.services import effects
from articles.services.permissions import require, require_publisher
from articles.services.publishing import give_unique_slugs
from articles.services.revisions import record_revisions
from articles.services.tags import tags_named
from articles.services.wire_copy import (
    WireCopy,
    build_story,
    check_importable,
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
    story: Story
    created: bool
    search_missing: bool = False
    """Imported before, but its search fields were never filled (see import_wire_batch)."""


def import_wire_copy(
    *,
    data: str | bytes,
    publish: bool = False,
    tags: tuple[str, ...] | None = None,
    today: date | None = None,
    user=None,
) -> ImportResult:
    """Save wire copy as a story; the same copy imported again changes nothing.

    Raises :class:`wire.WireError` for copy that cannot be parsed (or indexed for search,
    :func:`check_searchable`), before anything is written. ``tags`` (from a sidecar or an
    editor) replace the parser's suggestions. A published story takes the copy's timestamp,
    or now when the copy has none.
    """
    parsed = parse_copy(data, today=today)
    check_searchable(parsed)
    check_importable(parsed)
    (result,) = import_wire_batch([WireCopy(parsed, publish=publish, tags=tags)], user=user)
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
) -> list[ImportResult | DatabaseError]:
    """Save many pieces of parsed copy as stories in one transaction; one result each, in order.

    The same thing as :func:`import_wire_copy` for each, with a few queries for the whole
    batch instead of dozens per story: copy already imported (or twice in the batch) gives
    the existing story; the stories, their sections, tags and story tags are inserted in
    bulk, each story gets its own revision, and the search fields and cached pages are made
    current after commit (:func:`effects.stories_changed`; the pages only if a story
    published). Stories are inserted in the order of their copy's checksum; their ids
    follow it.

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


def _import_wire_batch(copies: Sequence[WireCopy], *, user) -> list[ImportResult | DatabaseError]:
    results: list[ImportResult | DatabaseError | None] = [None] * len(copies)
    checksums = [copy.parsed.checksum for copy in copies]
    postgresql = connection.vendor == "postgresql"
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
        first_of: dict[str, int] = {}
        new: list[int] = []
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
                new.append(i)

        if new:
            try:
                with transaction.atomic():
                    saved = _save_new_stories([copies[i] for i in new], user=user)
                for i, story in zip(new, saved, strict=True):
                    results[i] = ImportResult(story=story, created=True)
            except (IntegrityError, DataError):
                # Which one? Each on its own, so only the refused ones are left out; in
                # checksum order, the order the batch insert takes its locks in.
                for i in sorted(new, key=lambda i: checksums[i]):
                    results[i] = _save_one(copies[i], user=user)
        created = [r.story for i in new if isinstance(r := results[i], ImportResult) and r.created]
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


def _save_one(copy: WireCopy, *, user) -> ImportResult | DatabaseError:
    try:
        with transaction.atomic():
            (story,) = _save_new_stories([copy], user=user)
    except IntegrityError as exc:
        # Not copy imported meanwhile (the advisory lock rules that out on PostgreSQL), but
        # to be sure: the story already there is the result.
        existing = Story.objects.filter(source_checksum=copy.parsed.checksum).first()
        if existing is None:
            return exc
        return ImportResult(story=existing, created=False)
    except DataError as exc:
        return exc
    return ImportResult(story=story, created=True)


def _save_new_stories(copies: Sequence[WireCopy], *, user) -> list[Story]:
    """Insert stories for ``copies`` with their sections, tags and revisions; in order."""
    now = timezone.now()
    stories, sections = [], []
    for copy in copies:
        # In UTC, as the story reads back from the database: its revision (serialised from
        # this instance) then says "...Z" as the desk's do, not the wire's offset.
        published_at = (copy.parsed.published_at or now).astimezone(UTC) if copy.publish else None
        story, story_sections = build_story(
            copy.parsed,
            status=Story.Status.PUBLISHED if copy.publish else Story.Status.DRAFT,
            published_at=published_at,
        )
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
    record_revisions(stories, user=user, comment=IMPORT_COMMENT, date_created=now)
    return stories
