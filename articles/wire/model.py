"""What the parser hands back: the error it raises, the dataclasses of a story and its
checksum."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

# AFP style, which the seed uses: "Sept 21, 2023".
WIRE_MONTHS = (
    "Jan", "Feb", "March", "April", "May", "June",
    "July", "Aug", "Sept", "Oct", "Nov", "Dec",
)  # fmt: skip


class WireError(ValueError):
    """Input that is not wire copy; ``str()`` is a one-line message for the user."""

    def __init__(self, message: str, *, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class Dateline:
    """Where, when and by whom a story was filed: ``BAKU, Sept 21, 2023 (BSS/AFP) -``."""

    place: str
    date: date | None = None
    credit: str = ""

    def __str__(self) -> str:
        parts = [self.place]
        if self.date:
            month = WIRE_MONTHS[self.date.month - 1]
            parts.append(f"{month} {self.date.day}, {self.date.year}")
        text = ", ".join(p for p in parts if p)
        if self.credit:
            text += f" ({self.credit})"
        return f"{text} -"

    def as_dict(self) -> dict:
        return {
            "place": self.place,
            "date": self.date.isoformat() if self.date else None,
            "credit": self.credit or None,
        }


@dataclass(frozen=True)
class Section:
    """A run of paragraphs; the lead has no subheading, every later section has one."""

    subheading: str | None
    paragraphs: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"subheading": self.subheading, "paragraphs": list(self.paragraphs)}


@dataclass(frozen=True)
class WireStory:
    """One parsed story; :meth:`as_dict` is the JSON shape ``parse_wire`` prints.

    ``headline`` is without its lifecycle prefixes (``UPDATE 2-``, ``CORRECTED-`` ...), and
    ``sections`` hold neither the editors' note nor the embargo line: ``kind``,
    ``revision``, ``note`` and ``embargo`` carry them. ``source_text`` keeps every line.
    """

    headline: str
    published_at: datetime | None
    dateline: Dateline | None
    sections: tuple[Section, ...]
    tags: tuple[str, ...]
    source_text: str
    checksum: str
    warnings: tuple[str, ...] = field(default=())
    kind: str = "original"
    """``original``, ``update``, ``correction``, ``kill`` or ``refile`` (``lifecycle.KINDS``)."""
    revision: int | None = None
    """The update number (``UPDATE 2-``), when the headline gives one."""
    note: str | None = None
    """The editors' note, without its parentheses: ``Adds death toll in paragraph 2``."""
    embargo: datetime | None = None
    """Not public before this time (UTC), when the copy is embargoed."""

    @property
    def paragraph_count(self) -> int:
        return sum(len(s.paragraphs) for s in self.sections)

    def as_dict(self) -> dict:
        return {
            "headline": self.headline,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "dateline": self.dateline.as_dict() if self.dateline else None,
            "sections": [s.as_dict() for s in self.sections],
            "tags": list(self.tags),
            "kind": self.kind,
            "revision": self.revision,
            "note": self.note,
            "embargo": self.embargo.isoformat() if self.embargo else None,
        }


def normalise(text: str) -> str:
    """``text`` without a BOM and with every line ending a plain ``\\n``."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def checksum(text: str) -> str:
    """The identity of a piece of copy: SHA-256 of its text with line endings normalised.

    The same copy sent again with CRLF line endings or a BOM is the same story.
    """
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()
