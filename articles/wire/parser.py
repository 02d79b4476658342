"""From copy to a :class:`WireStory`: lines, headline, sections and suggested tags."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, tzinfo
from zoneinfo import ZoneInfo

from articles.wire.dateline import DASH, read_dateline, read_timestamp
from articles.wire.lifecycle import (
    is_capitalised_embargo_line,
    is_embargo_line,
    note_kind,
    read_embargo,
    read_headline,
    read_note,
    strongest,
)
from articles.wire.model import Dateline, Section, WireError, WireStory, checksum, normalise
from articles.wire.text import MAX_INPUT_BYTES, decode, refuse_unsafe_characters

MAX_SECTIONS = 100
"""Sections (the lead and each subheading's) in one story; the desk's form holds this many."""

MAX_HEADLINE_CHARS = 300
MAX_SUBHEADING_CHARS = 120
MAX_SUGGESTED_TAGS = 8

# A subheading line, stripped; the MULTILINE twin finds them in many lines joined by "\n".
_SUBHEADING_PATTERN = rf"^{DASH}[^\S\n]*(?P<text>\S(?:.*?\S)?)[^\S\n]*{DASH}$"
_SUBHEADING = re.compile(_SUBHEADING_PATTERN)
_SUBHEADING_LINES = re.compile(_SUBHEADING_PATTERN, re.MULTILINE)
_LEFTOVER = re.compile(r"^[•·▪►]")

# Capitalised words ("Azerbaijan", "Nagorno-Karabakh"), for tag suggestions.
_NAME = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)*(?=(?:[’']s)?\b)")
_NOT_TAGS = frozenset(
    """
    A After Again An And As At Both But By During For From He Her His However If In It Its
    Late Meanwhile No On Once She Since Such That The Their There These They This Those To
    Under We When Where While With Yet You President Prime Minister Foreign Officers
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    """.split()
)


def parse(
    data: str | bytes,
    *,
    wire_tz: tzinfo | str = "UTC",
    today: date | None = None,
) -> WireStory:
    """Parse one piece of agency copy.

    ``wire_tz`` is the time zone the agency's timestamp line is written in. ``today`` is
    used only to give a year to a dateline date written without one when the copy has no
    timestamp line either (the date is then taken as the most recent such day), and, the
    same way, to an embargo's date (see :mod:`articles.wire.lifecycle`).

    The lifecycle markers are read too: the headline's prefixes (``UPDATE 2-``,
    ``CORRECTED-``, ``KILL -`` ...) give ``kind`` and ``revision`` and are taken off the
    headline; the editors' note and embargo lines are taken out of the body. An embargo
    line that cannot be read is an error, never dropped.
    """
    text = decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise WireError(f"input is over {MAX_INPUT_BYTES:,} bytes; that is not one story")
    if isinstance(wire_tz, str):
        wire_tz = ZoneInfo(wire_tz)
    normalised = normalise(text)
    refuse_unsafe_characters(normalised)
    # A form feed (a teletype page break) ends a paragraph like a line break, but is not
    # one in the editor the copy is read in: both pieces keep the line's number.
    lines = normalised.split("\n")
    if "\f" in normalised:
        numbered = [
            (n, stripped)
            for n, line in enumerate(lines, start=1)
            for piece in line.split("\f")
            if (stripped := piece.strip())
        ]
    else:
        numbered = [
            (n, stripped) for n, line in enumerate(lines, start=1) if (stripped := line.strip())
        ]
    if not numbered:
        raise WireError("empty input: no text to parse")

    warnings: list[str] = []
    while numbered and _LEFTOVER.match(numbered[-1][1]):
        numbered.pop()
    if not numbered:
        raise WireError("no story text, only website leftovers")

    # Before the headline: the timestamp line, and embargo lines before or after it.
    published_at = None
    stamp_line = 0
    embargo_lines: list[tuple[int, str]] = []
    while numbered:
        number, line = numbered[0]
        if is_embargo_line(line):
            embargo_lines.append(numbered.pop(0))
        elif not stamp_line and (stamp := read_timestamp(line, wire_tz, number)) is not None:
            published_at, stamp_line = stamp, number
            numbered.pop(0)
        else:
            break
    if not stamp_line:
        warnings.append("no timestamp line: publication time not given")
    if not numbered:
        if stamp_line:
            raise WireError("no headline after the timestamp", line=stamp_line)
        raise WireError("no headline after the embargo line", line=embargo_lines[-1][0])

    headline_line, headline = numbered.pop(0)
    markers = read_headline(headline)
    if read_dateline(headline, None, None) or read_dateline(markers.headline, None, None):
        raise WireError(
            "no headline: the copy starts with a dateline paragraph", line=headline_line
        )
    if len(headline) > MAX_HEADLINE_CHARS:
        raise WireError(
            f"no headline: the first line is {len(headline):,} characters long "
            f"(a headline has at most {MAX_HEADLINE_CHARS})",
            line=headline_line,
        )
    if markers.kind == "kill" and markers.headline == headline:
        warnings.append(f"kill notice names no story in its headline (line {headline_line})")

    # Between the headline and the first paragraph: the editors' note and embargo lines.
    note = None
    while numbered:
        number, line = numbered[0]
        if is_embargo_line(line):
            embargo_lines.append(numbered.pop(0))
        elif note is None and (found_note := read_note(line, any_words=True)) is not None:
            note = found_note
            numbered.pop(0)
        else:
            break
    if not numbered:
        raise WireError("no story text after the headline", line=headline_line)

    reference = published_at.astimezone(wire_tz).date() if published_at else today
    dateline = None
    body_line, body_first = numbered[0]
    found = read_dateline(body_first, reference, warnings)
    if found is not None:
        dateline, rest = found
        numbered[0] = (body_line, rest)
        # The note may also come right after the dateline paragraph.
        if note is None and len(numbered) > 1:
            note = read_note(numbered[1][1], any_words=False)
            if note is not None:
                numbered.pop(1)
    else:
        warnings.append(f"no dateline found (line {body_line})")
    for number, line in numbered:
        if is_capitalised_embargo_line(line):
            raise WireError(
                "embargo line after the story has begun: it must come before the first "
                "paragraph, so the copy is refused rather than published early",
                line=number,
            )

    embargo = None
    embargo_reference = (
        published_at.astimezone(UTC).date() if published_at else dateline and dateline.date
    ) or today
    for number, line in embargo_lines:
        moment = read_embargo(line, number, published_at=published_at, reference=embargo_reference)
        embargo = moment if embargo is None else max(embargo, moment)

    kind = strongest({markers.kind, note_kind(note) if note else None})

    sections = _sections(numbered, warnings)
    return WireStory(
        headline=markers.headline,
        published_at=published_at,
        dateline=dateline,
        sections=sections,
        tags=suggest_tags(markers.headline, sections, dateline),
        source_text=text,
        checksum=checksum(text),
        warnings=tuple(warnings),
        kind=kind,
        revision=markers.revision,
        note=note,
        embargo=embargo,
    )


def suggest_tags(
    headline: str, sections: tuple[Section, ...], dateline: Dateline | None = None
) -> tuple[str, ...]:
    """Names the story keeps coming back to, as tag suggestions for the editor.

    A capitalised word that is not a common sentence opener counts once in the body and
    three times in the headline; "Karabakh's" counts as Karabakh. The dateline place
    counts once more.
    """
    counts: Counter[str] = Counter()
    texts = [(headline, 3)] + [(p, 1) for s in sections for p in s.paragraphs]
    for text, weight in texts:
        for name in _NAME.findall(text):
            if name not in _NOT_TAGS:
                counts[name] += weight
    if dateline and dateline.place:
        place = dateline.place.split(",")[0].title()
        counts[place] += 1
    ranked = sorted((name for name, n in counts.items() if n >= 3), key=lambda n: (-counts[n], n))
    return tuple(ranked[:MAX_SUGGESTED_TAGS])


def _sections(numbered: list[tuple[int, str]], warnings: list[str]) -> tuple[Section, ...]:
    """The story's sections. More than MAX_SECTIONS is an error naming how many: sections
    past the limit are counted, not built."""
    sections: list[Section] = []
    subheading: str | None = None
    subheading_line = 0
    paragraphs: list[str] = []

    def close() -> None:
        if paragraphs or subheading is not None:
            if subheading is not None and not paragraphs:
                warnings.append(
                    f"subheading {subheading!r} (line {subheading_line}) has no paragraphs"
                )
            sections.append(Section(subheading=subheading, paragraphs=tuple(paragraphs)))

    for index, (number, line) in enumerate(numbered):
        text = _subheading(line)
        if text is not None:
            close()
            if len(sections) == MAX_SECTIONS:
                _refuse_too_many_sections(sections, numbered[index:], number)
            subheading, subheading_line, paragraphs = text, number, []
        else:
            paragraphs.append(line)
    close()
    return tuple(sections)


def _subheading(line: str) -> str | None:
    """The text of a subheading line (``- Truce deal -``), or None for a paragraph."""
    match = _SUBHEADING.match(line)
    if match and len(match["text"]) <= MAX_SUBHEADING_CHARS:
        return match["text"]
    return None


def _refuse_too_many_sections(
    sections: list[Section], rest: list[tuple[int, str]], number: int
) -> None:
    """Raise for copy whose first MAX_SECTIONS sections are ``sections`` and that goes on
    with ``rest``, starting at the subheading on line ``number``."""
    joined = "\n".join(line for _, line in rest)
    count = len(sections) + sum(
        1
        for match in _SUBHEADING_LINES.finditer(joined)
        if len(match["text"]) <= MAX_SUBHEADING_CHARS
    )
    limit = f"a story has at most {MAX_SECTIONS}"
    if sections[0].subheading is None:
        limit += f" (the lead and {MAX_SECTIONS - 1} subheadings)"
    raise WireError(f"{count:,} sections; {limit}", line=number)
