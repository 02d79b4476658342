"""Workflows on stories: the one place the admin, the commands and the tests call."""

from __future__ import annotations

import json
import logging
import random
import re
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import reversion
from django.conf import settings
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    router,
    transaction,
)
from django.db.models import BooleanField, ExpressionWrapper, F, Prefetch, Q
from django.db.models.functions import Upper
from django.utils import timezone
from taggit.models import Tag

from articles import search, wire
from articles.models import TAG_MAX_LENGTH, Section, Story, TaggedStory
from articles.site import caching
from articles.slugs import ascii_slug, first_free, tag_slug

logger = logging.getLogger(__name__)

SLUG_MAX_LENGTH = 80


PUBLISH_PERMISSION = "articles.publish_story"


class StaleEdit(Exception):
    """A save based on a version of the story that someone else has since replaced."""

    def __init__(self, *, story_pk: int, expected_version: int):
        self.story_pk = story_pk
        self.expected_version = expected_version
        super().__init__(
            f"story {story_pk} has changed since version {expected_version} was opened"
        )


class SidecarError(ValueError):
    """An editorial sidecar that cannot be read; ``str()`` is a one-line message."""


@dataclass(frozen=True)
class Sidecar:
    """Editorial decisions kept next to a piece of wire copy (``<copy>.toml``).

    ``tags`` replace the parser's suggestions; ``status`` is ``draft`` or ``published``.
    """

    tags: tuple[str, ...] | None = None
    status: str | None = None


@dataclass(frozen=True)
class ImportResult:
    story: Story
    created: bool
    search_missing: bool = False
    """Imported before, but its search fields were never filled (see import_wire_batch)."""


def sidecar_path(source: Path) -> Path:
    return source.with_suffix(".toml")


def read_sidecar(source: Path) -> Sidecar:
    """The sidecar of ``source`` if it has one, else an empty one."""
    path = sidecar_path(source)
    if not path.exists():
        return Sidecar()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SidecarError(f"{path.name}: not valid TOML ({exc})") from None
    unknown = set(data) - {"tags", "status"}
    if unknown:
        raise SidecarError(f"{path.name}: unknown keys {', '.join(sorted(unknown))}")
    tags = data.get("tags")
    if tags is not None and not (
        isinstance(tags, list) and all(isinstance(t, str) and t.strip() for t in tags)
    ):
        raise SidecarError(f"{path.name}: tags must be a list of names")
    if tags and any(len(t.strip()) > TAG_MAX_LENGTH for t in tags):
        raise SidecarError(f"{path.name}: a tag has at most {TAG_MAX_LENGTH} characters")
    for tag in tags or ():
        if found := wire.unsafe_character(tag.strip()):
            raise SidecarError(
                f"{path.name}: tag {tag.strip()[:40]!r} has {wire.describe_character(found[1])}"
            )
    status = data.get("status")
    if status is not None and status not in Story.Status.values:
        raise SidecarError(f"{path.name}: status must be one of {', '.join(Story.Status)}")
    return Sidecar(tags=tuple(t.strip() for t in tags) if tags else None, status=status)


def failure_reason(exc: Exception) -> str:
    """A one-line reason for a file that could not be read, parsed or imported."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, DatabaseError):
        # The database's first line ("value too long for type character varying(100)").
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        return f"the database refused the story: {lines[0]}"
    return str(exc)


def read_copy(path: Path) -> bytes:
    """The bytes of a file of wire copy, refusing absurd sizes before reading them."""
    size = path.stat().st_size
    if size > wire.MAX_INPUT_BYTES:
        raise wire.WireError(
            f"file is {size:,} bytes; wire copy is at most {wire.MAX_INPUT_BYTES:,} bytes"
        )
    return path.read_bytes()


def parse_copy(data: str | bytes, *, today: date | None = None) -> wire.WireStory:
    """Parse wire copy with this site's wire time zone."""
    return wire.parse(data, wire_tz=settings.WIRE_TIME_ZONE, today=today or timezone.localdate())


SEARCH_WORDS_LIMIT = 1_000_000
"""Bytes of distinct words a story may have for the search index: PostgreSQL refuses a
text-search vector whose words take more than 1,048,575 bytes ("string is too long for
tsvector"). A long wire story has tens of kilobytes of them."""
_WORD_RUN = re.compile(r"\w+")


def check_searchable(parsed: wire.WireStory) -> None:
    """Refuse copy with far more distinct words than the search index can hold.

    An over-estimate of the words PostgreSQL would index (each distinct lower-cased
    whitespace-separated chunk, and each run of letters and digits in it: a hyphenated
    compound is indexed whole and in parts), computed only for copy large enough to reach
    the limit (a third of it), so nothing for real stories. Raises :class:`wire.WireError`.
    """
    size = len(parsed.source_text.encode())
    if 3 * size <= SEARCH_WORDS_LIMIT:
        return
    text = parsed.source_text.lower()
    words = set(text.split()) | set(_WORD_RUN.findall(text))
    total = sum(len(word.encode()) for word in words)
    if total > SEARCH_WORDS_LIMIT:
        raise wire.WireError(
            f"too many distinct words to index for search ({total:,} bytes of them; "
            f"a story has at most {SEARCH_WORDS_LIMIT:,})"
        )


def build_story(
    parsed: wire.WireStory, *, status: str, published_at: datetime | None
) -> tuple[Story, list[Section]]:
    """Unsaved model instances for a parsed story (saved by the importer, or serialised
    as they are by ``build_fixtures``)."""
    dateline = parsed.dateline or wire.Dateline(place="")
    story = Story(
        headline=parsed.headline,
        slug=ascii_slug(parsed.headline, fallback="story", max_length=SLUG_MAX_LENGTH),
        status=status,
        published_at=published_at,
        dateline_place=dateline.place,
        place_slug=ascii_slug(dateline.place, fallback="", max_length=80),
        dateline_date=dateline.date,
        dateline_credit=dateline.credit,
        source_text=parsed.source_text,
        source_checksum=parsed.checksum,
    )
    sections = [
        Section.of_paragraphs(
            story=story,
            position=position,
            subheading=section.subheading or "",
            paragraphs=section.paragraphs,
        )
        for position, section in enumerate(parsed.sections)
    ]
    return story, sections


def unique_slug(*, slug: str, published_at: datetime | None, exclude_pk=None) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… when another story has it on the same day."""
    if published_at is None:
        return slug
    day = timezone.localtime(published_at).date()
    taken = (
        Story.objects.filter(published_at__date=day, slug__startswith=slug)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    return first_free(slug, taken)


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
    (result,) = import_wire_batch([WireCopy(parsed, publish=publish, tags=tags)], user=user)
    if isinstance(result, Exception):
        raise result
    return result


@dataclass(frozen=True)
class WireCopy:
    """Parsed wire copy to import, with the editorial decisions that go with it."""

    parsed: wire.WireStory
    publish: bool = False
    tags: tuple[str, ...] | None = None


IMPORT_COMMENT = "Imported from wire copy"


IMPORT_LOCK_KEY = 0x6E_65_77_73  # "news": pg_advisory_xact_lock's key for import batches
"""Every import batch on PostgreSQL takes this transaction-level advisory lock first, so two
imports running at once save their batches one after the other (each finding what the
other committed) instead of inserting the same copy in two orders and deadlocking."""

BATCH_ATTEMPTS = 4
"""Tries of a batch that PostgreSQL rolled back for a deadlock or a serialization failure."""
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def is_retryable(exc: BaseException) -> bool:
    """Whether the database rolled this back for a deadlock or a serialization failure,
    which the same work tried again can get past."""
    return isinstance(exc, OperationalError) and (
        getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES
    )


def import_wire_batch(
    copies: Sequence[WireCopy], *, user=None, invalidate: bool = True, refresh_search: bool = True
) -> list[ImportResult | DatabaseError]:
    """Save many pieces of parsed copy as stories in one transaction; one result each, in order.

    The same thing as :func:`import_wire_copy` for each, with a few queries for the whole
    batch instead of dozens per story: copy already imported (or twice in the batch) gives
    the existing story; the stories, their sections, tags and story tags are inserted in
    bulk, each story gets its own revision (real ``reversion`` revisions and versions, as
    ``create_revision`` makes them), and the search fields are refreshed in one UPDATE after
    commit. Stories are inserted in the order of their copy's checksum; their ids follow it.

    On PostgreSQL the transaction first takes an advisory lock (:data:`IMPORT_LOCK_KEY`) and
    only then looks for copy already imported: batches of imports running at once are saved
    one after the other, and none inserts what another has just committed. A batch rolled
    back for a deadlock or serialization failure anyway is tried again, up to
    :data:`BATCH_ATTEMPTS` times, when this is the outermost transaction (inside a caller's
    transaction the error is raised: only the caller can start again).

    An already imported story whose search fields were never filled (an import stopped
    before its search refresh) comes back with ``search_missing``: it is refreshed here with
    the new ones, or by the caller without ``refresh_search``.

    If the database refuses the batch (a value too long to store, say), it is saved again
    one story at a time, in checksum order, each in its own savepoint: a story the database
    refuses leaves nothing behind, and its result is the database's error instead of an
    :class:`ImportResult`; the others go in. Any other exception rolls back the whole batch
    and is raised. With ``invalidate``, cached pages are invalidated once if anything was
    published (or repaired); the import command does it once at its end instead.
    Without ``refresh_search`` the caller refreshes the new stories' search fields itself.

    A ``user`` (the desk) needs ``articles.add_story``, and the publish permission for copy
    to publish; without one (a command, run by the operator) anything may be imported.
    """
    _require_importer(user, copies)
    attempts = 1 if transaction.get_connection().in_atomic_block else BATCH_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            return _import_wire_batch(
                copies, user=user, invalidate=invalidate, refresh_search=refresh_search
            )
        except OperationalError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            logger.warning(
                "Import batch of %d copies rolled back (%s); trying again (%d of %d)",
                len(copies),
                _first_line(exc),
                attempt + 1,
                attempts,
            )
            time.sleep(random.uniform(0, 0.05 * attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _import_wire_batch(
    copies: Sequence[WireCopy], *, user, invalidate: bool, refresh_search: bool
) -> list[ImportResult | DatabaseError]:
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
            .defer("source_text", "search_vector", "search_document")
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
        if refresh_search:
            refresh_search_on_commit([story.pk for story in [*created, *repaired]])
        if invalidate and any(
            story.status == Story.Status.PUBLISHED for story in [*created, *repaired]
        ):
            caching.invalidate_on_commit()
    for i, checksum in enumerate(checksums):
        if results[i] is None:  # the same copy earlier in this batch
            first = results[first_of[checksum]]
            results[i] = (
                ImportResult(story=first.story, created=False)
                if isinstance(first, ImportResult)
                else first
            )
    return results


def refresh_search_on_commit(pks: Sequence[int]) -> None:
    """:func:`refresh_search` for these stories once the transaction commits (a named
    function: Django's robust ``on_commit`` logs a failure by the callback's
    ``__qualname__``, which a ``functools.partial`` does not have)."""
    pks = [pk for pk in pks if pk is not None]
    if not pks or not search.is_postgresql():
        return

    def refresh_imported_stories() -> None:
        refresh_search(pks)

    transaction.on_commit(refresh_imported_stories, robust=True)


def refresh_search(pks: Sequence[int]) -> list[tuple[int, str]]:
    """:func:`articles.search.refresh`: all at once, else one by one; the failures."""
    return search.refresh(pks)


def _first_line(exc: BaseException) -> str:
    return search.first_line(exc)


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
        # this instance) then says "...Z" as create_revision's do, not the wire's offset.
        published_at = (copy.parsed.published_at or now).astimezone(UTC) if copy.publish else None
        story, story_sections = build_story(
            copy.parsed,
            status=Story.Status.PUBLISHED if copy.publish else Story.Status.DRAFT,
            published_at=published_at,
        )
        stories.append(story)
        sections.append(story_sections)
    _give_unique_slugs(stories)
    _insert(Story, sorted(stories, key=lambda story: story.source_checksum))
    _insert(Section, [section for story_sections in sections for section in story_sections])

    names = [list(c.tags if c.tags is not None else c.parsed.tags) for c in copies]
    tag_for = tags_named(name for story_names in names for name in story_names)
    tagged = []
    for story, story_names in zip(stories, names, strict=True):
        story_tags = list({tag_for[name].pk: tag_for[name] for name in story_names}.values())
        tagged.append([TaggedStory(content_object=story, tag=tag) for tag in story_tags])
    _insert(TaggedStory, [item for story_tagged in tagged for item in story_tagged])

    _record_revisions(
        [(story, *parts) for story, *parts in zip(stories, sections, tagged, strict=True)],
        user=user,
        comment=IMPORT_COMMENT,
    )
    return stories


def _give_unique_slugs(stories: list[Story]) -> None:
    """:func:`unique_slug` for each story, in order, with one query for them all."""
    dated = [story for story in stories if story.published_at is not None]
    if not dated:
        return
    days = {id(s): timezone.localtime(s.published_at).date() for s in dated}
    wanted = Q()
    for day, slug in {(days[id(s)], s.slug) for s in dated}:
        wanted |= Q(published_at__date=day, slug__startswith=slug)
    taken: dict[date, set[str]] = {}
    for published_at, slug in Story.objects.filter(wanted).values_list("published_at", "slug"):
        taken.setdefault(timezone.localtime(published_at).date(), set()).add(slug)
    for story in dated:
        day_taken = taken.setdefault(days[id(story)], set())
        story.slug = first_free(story.slug, day_taken)
        day_taken.add(story.slug)


def _insert(model, objects: list) -> None:
    """INSERT these new objects, setting their primary keys, in as few queries as may be."""
    if not objects:
        return
    if connection.features.can_return_rows_from_bulk_insert:
        model.objects.bulk_create(objects, batch_size=INSERT_BATCH)
    else:  # pragma: no cover - every supported database returns ids from a bulk insert
        for obj in objects:
            obj.save(force_insert=True)


INSERT_BATCH = 1000


def tags_named(names: Iterable[str]) -> dict[str, Tag]:
    """The tag for each name, made when there is none, matched as ``story.tags.set()`` does.

    As taggit with ``TAGGIT_CASE_INSENSITIVE``: an existing tag whose name differs only in
    case is that tag (the oldest if there are several), the first spelling of a new name
    makes the tag, and a new tag whose slug is taken gets ``slug_1``. Existing tags are
    found in one query and new ones made in one insert; the rare name those cannot settle
    (a taken slug, a case rule the database and Python disagree on) goes through taggit.
    """
    wanted = list(dict.fromkeys(names))
    found = _existing_tags(wanted)
    missing = [name for name in wanted if name not in found]
    if missing:
        first_spelling = {}
        for name in missing:
            first_spelling.setdefault(_tag_key(name), name)
        Tag.objects.bulk_create(
            [
                Tag(name=name, slug=tag_slug(name))
                for name in sorted(first_spelling.values())  # the same lock order for all
            ],
            ignore_conflicts=True,
        )
        found.update(_existing_tags(missing))
        manager = Tag.objects
        for name in missing:
            if name not in found:
                lookup = "name__iexact" if _case_insensitive_tags() else "name"
                tag = manager.filter(**{lookup: name}).order_by("pk").first()
                if tag is None:
                    tag = manager.create(name=name)
                found[name] = tag
    return found


def _case_insensitive_tags() -> bool:
    return getattr(settings, "TAGGIT_CASE_INSENSITIVE", False)


def _tag_key(name: str) -> str:
    return name.upper() if _case_insensitive_tags() else name


def _existing_tags(names: list[str]) -> dict[str, Tag]:
    if not names:
        return {}
    if _case_insensitive_tags():
        # UPPER, as Django's iexact on PostgreSQL (SQLite's iexact is ASCII-only, as its
        # UPPER); a name Python upper-cases otherwise is left to tags_named's last step.
        tags = Tag.objects.annotate(key=Upper("name")).filter(key__in={n.upper() for n in names})
    else:
        tags = Tag.objects.annotate(key=F("name")).filter(key__in=set(names))
    by_key: dict[str, Tag] = {}
    for tag in tags.order_by("pk"):
        by_key.setdefault(tag.key, tag)
    return {name: by_key[_tag_key(name)] for name in names if _tag_key(name) in by_key}


def _record_revisions(
    stories: Sequence[tuple[Story, list[Section], list[TaggedStory]]], *, user, comment: str
) -> None:
    """A revision per story, as ``reversion.create_revision()`` records a story saved with
    its sections and tags: the story, then its sections, then each story tag followed by
    its tag, serialised as reversion serialises them (``tests/test_import_batch.py`` checks
    they are the same). One insert of revisions and one of versions for them all.
    Reversion's ``pre_``/``post_revision_commit`` signals are not sent: nothing listens.

    The versions are written as plain rows rather than ``Version`` objects: tens of thousands
    of model instances, and a bulk insert's parameters (PostgreSQL's array form escapes every
    quote of the JSON in Python; a VALUES list is parsed for its thousands of placeholders),
    cost more than the rest of the import. On PostgreSQL they go in by COPY.
    """
    from reversion.models import Revision, Version
    from reversion.revisions import _get_content_type, _get_options

    using = router.db_for_write(Version)
    rows_of: dict[tuple[type, int], tuple] = {}

    def row_of(obj) -> tuple:
        """(object_id, content_type_id, db, format, serialized_data, object_repr)."""
        model = type(obj)
        key = (model, obj.pk)
        if key not in rows_of:
            options = _get_options(model)
            (data,) = serializers.serialize(
                "python",
                (obj,),
                fields=options.fields,
                use_natural_foreign_keys=options.use_natural_foreign_keys,
            )
            rows_of[key] = (
                str(obj.pk),
                _get_content_type(model, using).pk,
                router.db_for_write(model, instance=obj),
                options.format,
                _as_reversion_json(data),
                str(obj),
            )
        return rows_of[key]

    revisions, rows = [], []
    for story, sections, tagged in stories:
        revision_rows = [row_of(story), *(row_of(s) for s in sections)]
        for item in tagged:
            revision_rows += [row_of(item), row_of(item.tag)]
        revisions.append(Revision(date_created=timezone.now(), user=user, comment=comment))
        rows.append(revision_rows)
    _insert(Revision, revisions)
    columns = ["revision_id", *_VERSION_COLUMNS]
    values = [
        (revision.pk, *row)
        for revision, revision_rows in zip(revisions, rows, strict=True)
        for row in revision_rows
    ]
    _insert_rows(connections[using], Version._meta.db_table, columns, values)


def _insert_rows(connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Plain rows into a table: PostgreSQL's COPY (psycopg formats the rows in C), else
    INSERTs of many rows each."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start : start + ROWS_PER_INSERT]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([one] * len(chunk))}",
                [value for row in chunk for value in row],
            )


_VERSION_COLUMNS = (
    "object_id",
    "content_type_id",
    "db",
    "format",
    "serialized_data",
    "object_repr",
)
ROWS_PER_INSERT = 500


def _as_reversion_json(data: dict) -> str:
    """One object as Django's JSON serialiser writes a list of one, as reversion stores it."""
    return "[" + json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False) + "]"


def can_publish(user) -> bool:
    return user is not None and user.has_perm(PUBLISH_PERMISSION)


def require_publisher(user) -> None:
    if not can_publish(user):
        raise PermissionDenied("Only editors can publish, schedule or unpublish stories.")


def _require(user, permission: str, message: str) -> None:
    if user is None or not user.has_perm(permission):
        raise PermissionDenied(message)


def _require_importer(user, copies: Sequence[WireCopy]) -> None:
    """A desk user importing needs to add stories, and to publish for published copy.

    ``user=None`` is the operator running a command (``import_wire``, ``demo``), who may
    import anything; every desk caller passes the signed-in user.
    """
    if user is None:
        return
    _require(user, "articles.add_story", "Only desk staff who may add stories can import copy.")
    if any(copy.publish for copy in copies):
        require_publisher(user)


def _lock_for_change(story: Story, *, user) -> None:
    """Inside a transaction: lock the story's row and refuse a user without the publish
    permission if it is published as stored, or would be published by this save."""
    if can_publish(user):
        return
    stored = (
        Story.objects.select_for_update()
        .filter(pk=story.pk)
        .values_list("status", flat=True)
        .first()
    )
    if stored == Story.Status.PUBLISHED:
        raise PermissionDenied("This story is published; only editors can change it.")
    if story.status == Story.Status.PUBLISHED:
        raise PermissionDenied("Only editors can publish a story.")


def mark_published(story: Story, *, now: datetime | None = None) -> str:
    """Make the story public now (a story already public keeps its time and address)."""
    now = now or timezone.now()
    if story.published_at is None or story.published_at > now:
        story.published_at = now
    story.status = Story.Status.PUBLISHED
    story.slug = unique_slug(slug=story.slug, published_at=story.published_at, exclude_pk=story.pk)
    return "Published"


SCHEDULE_IN_THE_FUTURE = "To schedule a story, give a publication time in the future."


def check_schedule_time(at: datetime | None) -> None:
    """Refuse a schedule time that is not in the future (``ValidationError``)."""
    if at is None or at <= timezone.now():
        raise ValidationError(SCHEDULE_IN_THE_FUTURE, code="schedule_in_the_past")


def mark_scheduled(story: Story, *, at: datetime | None) -> str:
    """Publish the story by itself at ``at``, which must be in the future."""
    try:
        check_schedule_time(at)
    except ValidationError as error:
        raise ValidationError({"published_at": error.messages}) from None
    story.status = Story.Status.PUBLISHED
    story.published_at = at
    story.slug = unique_slug(slug=story.slug, published_at=at, exclude_pk=story.pk)
    local = timezone.localtime(at)
    return f"Scheduled for {local:%Y-%m-%d %H:%M %Z}"


def mark_unpublished(story: Story) -> str:
    """Take the story off the public site; it keeps its time for when it comes back."""
    story.status = Story.Status.DRAFT
    return "Unpublished"


def create_story(*, story: Story, user, comment: str = "Created") -> Story:
    """Save a new story written in the desk, with a revision; its sections follow through
    :func:`save_sections` in the same transaction.

    Needs ``articles.add_story``, and the publish permission for a story saved published.
    """
    _require(user, "articles.add_story", "Only desk staff who may add stories can add one.")
    if story.status == Story.Status.PUBLISHED:
        require_publisher(user)
    with transaction.atomic(), reversion.create_revision():
        story.save(force_insert=True)
        search.refresh_on_commit([story.pk])
        caching.invalidate_on_commit()
        reversion.set_user(user)
        reversion.set_comment(comment)
    return story


POSITION_PARKING = 1000


def save_sections(
    *, story: Story, sections: Sequence[Section], deleted: Iterable[Section] = (), user
) -> None:
    """Save a story's sections as the desk edited them: ``sections`` in their new order
    (numbered 0, 1, 2…), ``deleted`` removed. Part of saving the story: call it in the
    same transaction as :func:`save_story` or :func:`create_story`.
    """
    _require(user, "articles.change_story", "Only desk staff can change stories.")
    with transaction.atomic():
        _lock_for_change(story, user=user)
        for section in deleted:
            if section.pk is not None:
                section.delete()
        # Positions are unique per story: the old numbers move out of the way first.
        Section.objects.filter(story=story).update(position=F("position") + POSITION_PARKING)
        for position, section in enumerate(sections):
            section.story = story
            section.position = position
            section.save()
        search.refresh_on_commit([story.pk])
        caching.invalidate_on_commit()


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
        story.save()
        # After commit, so a restore's or the admin's sections and tags are in it too.
        search.refresh_on_commit([story.pk])
        caching.invalidate_on_commit()
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
    from articles.services import history

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
    from articles.services import history

    _require(user, "articles.add_story", "Only desk staff who may add stories can recover one.")
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
        search.refresh_on_commit([story.pk])
        reversion.set_user(user)
        reversion.set_comment("Recovered after deletion, as a draft")
    return story


def _check_publishable(snapshot) -> None:
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


def _apply_words(story: Story, snapshot) -> None:
    story.headline = snapshot.headline
    story.standfirst = snapshot.standfirst
    story.byline = snapshot.byline
    story.dateline_place = snapshot.dateline_place
    story.dateline_date = snapshot.dateline_date
    story.dateline_credit = snapshot.dateline_credit


def _replace_sections_and_tags(story: Story, snapshot) -> None:
    story.sections.all().delete()
    Section.objects.bulk_create(
        Section.of_paragraphs(
            story=story, position=position, subheading=subheading, paragraphs=paragraphs
        )
        for position, (subheading, paragraphs) in enumerate(snapshot.sections)
    )
    story.tags.set(list(snapshot.tags))


def _change_publication(story: Story, *, user, expected_version: int | None, mark) -> Story:
    require_publisher(user)
    expected = story.version if expected_version is None else expected_version
    comment = mark(story)
    return save_story(story=story, expected_version=expected, user=user, comment=comment)


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


def unpublish_story(*, story: Story, user, expected_version: int | None = None) -> Story:
    """Take a story off the public site."""
    return _change_publication(
        story, user=user, expected_version=expected_version, mark=mark_unpublished
    )


def merge_tags(*, target: Tag, sources: Iterable[Tag], user) -> int:
    """Fold the ``sources`` tags into ``target``, delete them, and return how many stories
    changed.

    Every story that had a source tag has the target exactly once afterwards. Its version
    goes up, so an editor who opened it before the merge gets a conflict instead of saving
    the old tag back, and the change is kept as one revision with who and what. The target
    is never deleted, even when it is among the sources. Only users who may both change
    and delete tags can merge them.
    """
    _require_tag_editor(user)
    source_ids = {tag.pk for tag in sources} - {target.pk}
    if not source_ids:
        return 0
    with transaction.atomic(), reversion.create_revision():
        # Locking the tags makes a concurrent tagging with a source wait, then fail, rather
        # than land on a tag that is about to disappear (PostgreSQL; SQLite serialises).
        locked = list(
            Tag.objects.select_for_update().filter(pk__in=[*source_ids, target.pk]).order_by("pk")
        )
        names = sorted((tag.name for tag in locked if tag.pk in source_ids), key=str.lower)
        story_ids = set(
            TaggedStory.objects.filter(tag_id__in=source_ids).values_list(
                "content_object_id", flat=True
            )
        )
        if story_ids:
            have_target = set(
                TaggedStory.objects.filter(
                    tag_id=target.pk, content_object_id__in=story_ids
                ).values_list("content_object_id", flat=True)
            )
            TaggedStory.objects.bulk_create(
                [
                    TaggedStory(content_object_id=story_id, tag_id=target.pk)
                    for story_id in sorted(story_ids - have_target)
                ],
                batch_size=500,
            )
        # Deleting the tags deletes their remaining story tags with them.
        Tag.objects.filter(pk__in=source_ids).delete()
        _record_tag_change(
            story_ids, user=user, comment=f"Merged tags {', '.join(names)} into {target.name}"
        )
    return len(story_ids)


def save_tag(*, tag: Tag, user) -> int:
    """Save a tag (a rename, say) and return how many stories carry it.

    Those stories get a new version and a revision, as with any change to their words,
    so an editor who had one open cannot save the old name back unseen.
    """
    _require_tag_editor(user)
    with transaction.atomic(), reversion.create_revision():
        tag.save()
        story_ids = set(
            TaggedStory.objects.filter(tag=tag).values_list("content_object_id", flat=True)
        )
        _record_tag_change(story_ids, user=user, comment=f"Tag renamed to {tag.name}")
    return len(story_ids)


def delete_tags(*, tags: Iterable[Tag], user) -> int:
    """Delete tags; the stories that carried them get a new version and a revision."""
    _require_tag_editor(user)
    tag_ids = [tag.pk for tag in tags]
    with transaction.atomic(), reversion.create_revision():
        names = sorted(Tag.objects.filter(pk__in=tag_ids).values_list("name", flat=True))
        story_ids = set(
            TaggedStory.objects.filter(tag_id__in=tag_ids).values_list(
                "content_object_id", flat=True
            )
        )
        Tag.objects.filter(pk__in=tag_ids).delete()
        _record_tag_change(story_ids, user=user, comment=f"Tags deleted: {', '.join(names)}")
    return len(story_ids)


def _require_tag_editor(user) -> None:
    if user is None or not (
        user.has_perm("taggit.change_tag") and user.has_perm("taggit.delete_tag")
    ):
        raise PermissionDenied("Only editors who may change and delete tags can do this.")


def _record_tag_change(story_ids: set[int], *, user, comment: str) -> None:
    """Inside a revision block: new versions, a revision and fresh search for the stories."""
    if story_ids:
        Story.objects.filter(pk__in=story_ids).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
    stories = Story.objects.filter(pk__in=story_ids).prefetch_related(
        "sections",
        Prefetch("taggedstory_set", queryset=TaggedStory.objects.select_related("tag")),
    )
    for story in stories:
        reversion.add_to_revision(story)
    search.refresh_on_commit(story_ids)
    caching.invalidate_on_commit()
    reversion.set_user(user)
    reversion.set_comment(comment)


def delete_stories(*, stories: Iterable[Story], user) -> None:
    """Delete stories; their revisions stay, so they can be recovered. Editors only."""
    _require(user, "articles.delete_story", "Only editors can delete stories.")
    with transaction.atomic():
        Story.objects.filter(pk__in=[story.pk for story in stories]).delete()
        caching.invalidate_on_commit()
