"""Wire copy on its way in: files, editorial sidecars, parsing with this site's settings,
the size the search index can take, and unsaved stories made from what was parsed.

Nothing here writes to the database: :mod:`articles.services.importing` saves, and
``build_fixtures`` serialises the unsaved stories as they are.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from articles import wire
from articles.models import TAG_MAX_LENGTH, Section, Story, Take
from articles.search import first_line
from articles.slugs import ascii_slug, place_slug

SLUG_MAX_LENGTH = 80

SEARCH_WORDS_LIMIT = 1_000_000
"""Bytes of distinct words a story may have for the search index: PostgreSQL refuses a
text-search vector whose words take more than 1,048,575 bytes ("string is too long for
tsvector"). A long wire story has tens of kilobytes of them."""
_WORD_RUN = re.compile(r"\w+")


class SidecarError(ValueError):
    """An editorial sidecar that cannot be read; ``str()`` is a one-line message."""


@dataclass(frozen=True)
class Sidecar:
    """Editorial decisions kept next to a piece of wire copy (``<copy>.toml``).

    ``tags`` replace the parser's suggestions; ``status`` is ``draft`` or ``published``;
    ``story`` (an id) or ``slug`` names the story an update, correction, refile or kill
    belongs to, when the editor knows better than the match on headline and dateline.
    """

    tags: tuple[str, ...] | None = None
    status: str | None = None
    story: int | None = None
    slug: str | None = None


@dataclass(frozen=True)
class WireCopy:
    """Parsed wire copy to import, with the editorial decisions that go with it."""

    parsed: wire.WireStory
    publish: bool = False
    tags: tuple[str, ...] | None = None
    story: int | None = None
    """The story this take belongs to, by id (a sidecar's or the desk's choice)."""
    slug: str | None = None
    """The story this take belongs to, by slug (a sidecar's choice)."""
    as_new: bool = False
    """A later take kept as a story of its own, never joined (the desk's choice)."""


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
    unknown = set(data) - {"tags", "status", "story", "slug"}
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
    statuses = (Story.Status.DRAFT, Story.Status.PUBLISHED)  # a kill comes as a kill notice
    if status is not None and status not in statuses:
        raise SidecarError(f"{path.name}: status must be one of {', '.join(statuses)}")
    story, slug = data.get("story"), data.get("slug")
    if story is not None and (isinstance(story, bool) or not isinstance(story, int) or story < 1):
        raise SidecarError(f"{path.name}: story must be a story's id, a whole number")
    if slug is not None and not (isinstance(slug, str) and slug.strip()):
        raise SidecarError(f"{path.name}: slug must be a story's slug, in quotes")
    if story is not None and slug is not None:
        raise SidecarError(f"{path.name}: give the story or its slug, not both")
    return Sidecar(
        tags=tuple(t.strip() for t in tags) if tags else None,
        status=status,
        story=story,
        slug=slug.strip() if slug is not None else None,
    )


def failure_reason(exc: Exception) -> str:
    """A one-line reason for a file that could not be read, parsed or imported."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, DatabaseError):
        # The database's first line ("value too long for type character varying(100)").
        return f"the database refused the story: {first_line(exc)}"
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


def read_wire_file(path: Path, *, publish: bool = False) -> WireCopy:
    """A file of copy, parsed, checked and ready to import with its sidecar's decisions.

    Raises :class:`wire.WireError`, :class:`SidecarError` or ``OSError`` for a file that
    cannot be imported; :func:`failure_reason` says why on one line.
    """
    sidecar = read_sidecar(path)
    parsed = parse_copy(read_copy(path))
    check_searchable(parsed)
    return WireCopy(
        parsed,
        publish=publish or sidecar.status == Story.Status.PUBLISHED,
        tags=sidecar.tags,
        story=sidecar.story,
        slug=sidecar.slug,
    )


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
        place_slug=place_slug(dateline.place),
        dateline_date=dateline.date,
        dateline_credit=dateline.credit,
        source_text=parsed.source_text,
        source_checksum=parsed.checksum,
    )
    return story, build_sections(parsed, story=story)


def build_sections(parsed: wire.WireStory, *, story: Story) -> list[Section]:
    """Unsaved sections of ``story`` for the parsed copy's, in order."""
    return [
        Section.of_paragraphs(
            story=story,
            position=position,
            subheading=section.subheading or "",
            paragraphs=section.paragraphs,
        )
        for position, section in enumerate(parsed.sections)
    ]


def build_take(parsed: wire.WireStory, *, story: Story, received_at: datetime) -> Take:
    """The unsaved take of ``story`` that ``parsed`` is: its copy verbatim, its kind, the
    agency's update number, note and embargo (every take is kept, the first one too)."""
    return Take(
        story=story,
        kind=parsed.kind,
        revision=parsed.revision,
        headline=parsed.headline[: Take._meta.get_field("headline").max_length],
        note=parsed.note or "",
        embargo=parsed.embargo,
        source_text=parsed.source_text,
        checksum=parsed.checksum,
        received_at=received_at,
    )
