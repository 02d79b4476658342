"""Workflows on stories: the one place the admin, the commands and the tests call."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from articles import wire
from articles.models import Section, Story, text_from_paragraphs

SLUG_MAX_LENGTH = 80


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
    status = data.get("status")
    if status is not None and status not in Story.Status.values:
        raise SidecarError(f"{path.name}: status must be one of {', '.join(Story.Status)}")
    return Sidecar(tags=tuple(t.strip() for t in tags) if tags else None, status=status)


def failure_reason(exc: Exception) -> str:
    """A one-line reason for a file that could not be read, parsed or imported."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
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


def build_story(
    parsed: wire.WireStory, *, status: str, published_at: datetime | None
) -> tuple[Story, list[Section]]:
    """Unsaved model instances for a parsed story (saved by the importer, or serialised
    as they are by ``build_fixtures``)."""
    dateline = parsed.dateline or wire.Dateline(place="")
    story = Story(
        headline=parsed.headline,
        slug=slugify(parsed.headline)[:SLUG_MAX_LENGTH].rstrip("-") or "story",
        status=status,
        published_at=published_at,
        dateline_place=dateline.place,
        dateline_date=dateline.date,
        dateline_credit=dateline.credit,
        source_text=parsed.source_text,
        source_checksum=parsed.checksum,
    )
    sections = [
        Section(
            story=story,
            position=position,
            subheading=section.subheading or "",
            body=text_from_paragraphs(section.paragraphs),
        )
        for position, section in enumerate(parsed.sections)
    ]
    return story, sections


def unique_slug(*, slug: str, published_at: datetime | None, exclude_pk=None) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… when another story has it on the same day."""
    if published_at is None:
        return slug
    day = timezone.localtime(published_at).date()
    taken = set(
        Story.objects.filter(published_at__date=day, slug__startswith=slug)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def import_wire_copy(
    *,
    data: str | bytes,
    publish: bool = False,
    tags: tuple[str, ...] | None = None,
    today: date | None = None,
) -> ImportResult:
    """Save wire copy as a story; the same copy imported again changes nothing.

    Raises :class:`wire.WireError` for copy that cannot be parsed, before anything is
    written. ``tags`` (from a sidecar or an editor) replace the parser's suggestions.
    A published story takes the copy's timestamp, or now when the copy has none.
    """
    parsed = parse_copy(data, today=today)
    existing = Story.objects.filter(source_checksum=parsed.checksum).first()
    if existing is not None:
        return ImportResult(story=existing, created=False)

    published_at = parsed.published_at if publish else None
    if publish and published_at is None:
        published_at = timezone.now()
    story, sections = build_story(
        parsed,
        status=Story.Status.PUBLISHED if publish else Story.Status.DRAFT,
        published_at=published_at,
    )
    try:
        with transaction.atomic():
            story.slug = unique_slug(slug=story.slug, published_at=published_at)
            story.save()
            Section.objects.bulk_create(sections)
            story.tags.set(list(tags if tags is not None else parsed.tags))
    except IntegrityError:
        # Someone else imported the same copy between our check and our insert.
        existing = Story.objects.filter(source_checksum=parsed.checksum).first()
        if existing is None:
            raise
        return ImportResult(story=existing, created=False)
    return ImportResult(story=story, created=True)
