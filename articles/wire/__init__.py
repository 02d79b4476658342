"""Parse agency wire copy into structured data.

A pure function from text to dataclasses: no Django imports, no I/O, no clock. The shape it
expects is the one agencies send (see ``fixtures/source/`` for a real example)::

    21 Sep 2023, 09:55                      <- optional timestamp line, in the wire time zone
    <blank>
    Headline on one line
    <blank>
    BAKU, Sept 21, 2023 (BSS/AFP) - First paragraph, opening with the dateline...
    Next paragraph (blank lines, single line breaks or form feeds separate paragraphs)
    - A subheading -
    More paragraphs...
      • Latest News                          <- website leftovers, dropped

Everything that is story text is kept word for word; what cannot be made sense of raises
:class:`WireError` with a one-line message that names the problem and, where there is one,
the line.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

MAX_INPUT_BYTES = 1_000_000
"""A long wire story is 50 KB; anything past a megabyte is not a story."""

MAX_SECTIONS = 100
"""Sections (the lead and each subheading's) in one story; the desk's form holds this many."""

MAX_HEADLINE_CHARS = 300
MAX_SUBHEADING_CHARS = 120
MAX_SUGGESTED_TAGS = 8
# Years a news story can carry; outside them a date is a typo (and 0001 overflows UTC).
YEARS = range(1900, 2101)

# AFP style, which the seed uses: "Sept 21, 2023".
WIRE_MONTHS = (
    "Jan", "Feb", "March", "April", "May", "June",
    "July", "Aug", "Sept", "Oct", "Nov", "Dec",
)  # fmt: skip

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "febr": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10,
    "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = r"(?:{})\.?".format("|".join(sorted(_MONTHS, key=len, reverse=True)))
_DASH = r"(?:-{1,2}|–|—)"

_TIMESTAMP_PATTERNS = (
    # 21 Sep 2023, 09:55  /  21 September 2023 09:55
    (
        re.compile(
            rf"^(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH})\s+(?P<year>\d{{4}}),?\s+"
            r"(?P<hour>\d{1,2}):(?P<minute>\d{2})$",
            re.IGNORECASE,
        )
    ),
    # Sep 21, 2023, 09:55  /  Sept 21, 2023 09:55
    (
        re.compile(
            rf"^(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}}),?\s+"
            r"(?P<hour>\d{1,2}):(?P<minute>\d{2})$",
            re.IGNORECASE,
        )
    ),
    # 2023-09-21 09:55  /  2023-09-21T09:55
    (
        re.compile(
            r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[T ]"
            r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::\d{2})?$"
        )
    ),
)

_DATE_MONTH_FIRST = re.compile(
    rf"^(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:,?\s+(?P<year>\d{{4}}))?$", re.IGNORECASE
)
_DATE_DAY_FIRST = re.compile(
    rf"^(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH})(?:,?\s+(?P<year>\d{{4}}))?$", re.IGNORECASE
)

# "BAKU, Sept 21, 2023 (BSS/AFP) - text", "SÃO PAULO (Reuters) — text", "KYIV, Ukraine (AP) –".
# The head (place and date) and the credit are taken apart further in _read_dateline.
_DATELINE = re.compile(
    rf"^(?P<head>[^\W\d_][^()\n]{{0,79}}?)\s*"
    r"(?:\((?P<credit>[^\W\d_][\w/&.' -]{0,39})\))?"
    rf"\s*{_DASH}\s+(?P<rest>\S.*)$"
)
_PLACE = re.compile(r"^[^\W\d_][^\W\d_ .'’-]*(?:[ .'’-]+[^\W\d_]+)*\.?$")
# Agencies that write their own name in lower case. Any other credit starting with a
# lower-case letter is a bracket in a sentence ("Ms Smith (right) - said"), not a credit.
LOWER_CASE_CREDITS = frozenset({"dpa", "dpa-AFX", "epd"})

# A subheading line, stripped; the MULTILINE twin finds them in many lines joined by "\n".
_SUBHEADING_PATTERN = rf"^{_DASH}[^\S\n]*(?P<text>\S(?:.*?\S)?)[^\S\n]*{_DASH}$"
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
    """One parsed story; :meth:`as_dict` is the JSON shape ``parse_wire`` prints."""

    headline: str
    published_at: datetime | None
    dateline: Dateline | None
    sections: tuple[Section, ...]
    tags: tuple[str, ...]
    source_text: str
    checksum: str
    warnings: tuple[str, ...] = field(default=())

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
        }


def checksum(text: str) -> str:
    """The identity of a piece of copy: SHA-256 of its text with line endings normalised.

    The same copy sent again with CRLF line endings or a BOM is the same story.
    """
    return hashlib.sha256(_normalise(text).encode("utf-8")).hexdigest()


def decode(data: bytes) -> str:
    """Bytes as they arrive (a file, an upload) to text, refusing what is not text."""
    if len(data) > MAX_INPUT_BYTES:
        raise WireError(
            f"input is {len(data):,} bytes; wire copy is at most {MAX_INPUT_BYTES:,} bytes"
        )
    nul = data.find(b"\x00")
    if nul != -1 or data.startswith(_WIDE_BOMS):
        encoding = _wide_encoding(data)
        if encoding is not None:
            raise WireError(f"{encoding} text: save it as UTF-8")
    if nul != -1:
        raise WireError(f"binary data, not text (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff")


def parse(
    data: str | bytes,
    *,
    wire_tz: tzinfo | str = "UTC",
    today: date | None = None,
) -> WireStory:
    """Parse one piece of agency copy.

    ``wire_tz`` is the time zone the agency's timestamp line is written in. ``today`` is
    used only to give a year to a dateline date written without one when the copy has no
    timestamp line either (the date is then taken as the most recent such day).
    """
    text = decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise WireError(f"input is over {MAX_INPUT_BYTES:,} bytes; that is not one story")
    if isinstance(wire_tz, str):
        wire_tz = ZoneInfo(wire_tz)
    normalised = _normalise(text)
    _refuse_unsafe_characters(normalised)
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

    published_at = None
    first_line, first = numbered[0]
    stamp = _read_timestamp(first, wire_tz, first_line)
    if stamp is not None:
        published_at = stamp
        numbered.pop(0)
    else:
        warnings.append("no timestamp line: publication time not given")
    if not numbered:
        raise WireError("no headline after the timestamp", line=first_line)

    headline_line, headline = numbered.pop(0)
    if _DATELINE.match(headline) and _read_dateline(headline, None, None):
        raise WireError(
            "no headline: the copy starts with a dateline paragraph", line=headline_line
        )
    if len(headline) > MAX_HEADLINE_CHARS:
        raise WireError(
            f"no headline: the first line is {len(headline):,} characters long "
            f"(a headline has at most {MAX_HEADLINE_CHARS})",
            line=headline_line,
        )
    if not numbered:
        raise WireError("no story text after the headline", line=headline_line)

    reference = published_at.astimezone(wire_tz).date() if published_at else today
    dateline = None
    body_line, body_first = numbered[0]
    found = _read_dateline(body_first, reference, warnings)
    if found is not None:
        dateline, rest = found
        numbered[0] = (body_line, rest)
    else:
        warnings.append(f"no dateline found (line {body_line})")

    sections = _sections(numbered, warnings)
    return WireStory(
        headline=headline,
        published_at=published_at,
        dateline=dateline,
        sections=sections,
        tags=suggest_tags(headline, sections, dateline),
        source_text=text,
        checksum=checksum(text),
        warnings=tuple(warnings),
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


def _normalise(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


# What stored text must not contain: what XML 1.0 cannot carry (#x9 | #xA | #xD |
# [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF], so feeds and sitemaps break on the
# rest) and the C1 controls U+007F-U+009F, which no agency copy means to send.
_UNSAFE_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def unsafe_character(text: str) -> tuple[int, str] | None:
    """The offset and character of the first character stored text must not contain.

    That is every character XML 1.0 cannot carry (C0 controls but tab, line feed and
    carriage return; surrogates; U+FFFE and U+FFFF) and the C1 controls U+007F-U+009F.
    ``None`` when there is none.
    """
    found = _UNSAFE_CHARACTER.search(text)
    return None if found is None else (found.start(), found[0])


def describe_character(char: str) -> str:
    """A short human name for one character, for a message: ``U+000B (a control character)``."""
    code = ord(char)
    number = f"U+{code:04X}"
    category = unicodedata.category(char)
    if category == "Cc":
        return f"{number} (a control character)"
    if category == "Cs":
        return f"{number} (an unpaired surrogate)"
    if code & 0xFFFE == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
        return f"{number} (not a character)"
    name = unicodedata.name(char, None)
    if name is not None:
        return f"{number} ({name})"
    if category == "Co":
        return f"{number} (a private-use character)"
    return f"{number} (an unassigned character)"


def _refuse_unsafe_characters(text: str) -> None:
    """Refuse what :func:`unsafe_character` finds in normalised copy, form feeds aside."""
    found = unsafe_character(text.replace("\f", "\n"))
    if found is None:
        return
    offset, char = found
    line = text.count("\n", 0, offset) + 1
    category = unicodedata.category(char)
    if category == "Cs":
        raise WireError(f"not UTF-8 text (unpaired surrogate U+{ord(char):04X})", line=line)
    if category == "Cc":
        raise WireError(f"binary data, not text (control character U+{ord(char):04X})", line=line)
    raise WireError(f"not text we can publish: {describe_character(char)}", line=line)


# Byte order marks of the encodings a word processor saves "Unicode text" in, longest first
# (the UTF-32 little-endian mark starts with the UTF-16 one).
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_WIDE_BOMS = tuple(bom for bom, _, _ in _WIDE_ENCODINGS)
# How much of the copy to look at to tell UTF-16 or UTF-32 text from binary data, and the
# least there must be to tell without a BOM (a headline's worth: 8 UTF-16 characters).
_SNIFF_BYTES = 512
_SNIFF_MIN_BYTES = 16


def _wide_encoding(data: bytes) -> str | None:
    """Which of UTF-16 and UTF-32 ``data`` is text in, with or without a BOM; or None.

    Without a BOM, the start must read as text in the encoding, and its NUL bytes must fall
    as in text: they are the high bytes of the spaces, digits and punctuation that copy in
    any language has plenty of (mostly ASCII UTF-16 text has every other byte NUL), never
    both bytes of a character. PNG images, executables, random bytes and UTF-8 text with a
    stray NUL in it are not taken for text.
    """
    for bom, codec, name in _WIDE_ENCODINGS:
        if data.startswith(bom):
            rest = data[len(bom) : len(bom) + _SNIFF_BYTES]
            if _read_as_text(rest, codec) is not None:
                return name
    sample = data[:_SNIFF_BYTES]
    if len(sample) < _SNIFF_MIN_BYTES:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    for codec, name, parity in (
        ("utf-32-le", "UTF-32", True),
        ("utf-32-be", "UTF-32", True),
        # A NUL low byte is a character such as U+0100 or U+4E00: few beside the NUL high
        # bytes of ASCII characters.
        ("utf-16-le", "UTF-16", odd > 4 * even),
        ("utf-16-be", "UTF-16", even > 4 * odd),
    ):
        text = _read_as_text(sample, codec) if parity else None
        if text is not None and sum(char < "\x80" for char in text) >= max(4, len(text) / 8):
            return name
    return None


def _read_as_text(sample: bytes, codec: str) -> str | None:
    """``sample`` (perhaps cut short at the end) decoded in ``codec``, if it is text: no NUL
    characters, and nearly all printable or white space."""
    width = 4 if codec.startswith("utf-32") else 2
    sample = sample[: len(sample) - len(sample) % width]
    try:
        text = sample.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data":  # a surrogate pair cut in two at the end
            return None
        text = sample[: exc.start].decode(codec)
    if "\x00" in text:
        return None
    readable = sum(char.isprintable() or char in "\t\n\r\f" for char in text)
    return text if readable >= 0.95 * len(text) else None


def _read_timestamp(line: str, wire_tz: tzinfo, number: int) -> datetime | None:
    for pattern in _TIMESTAMP_PATTERNS:
        match = pattern.match(line)
        if match:
            month = match["month"]
            month_number = int(month) if month.isdigit() else _MONTHS[_month_key(month)]
            if int(match["year"]) not in YEARS:
                raise WireError(
                    f"timestamp {line!r} is not a real date and time "
                    f"(years {YEARS.start}-{YEARS.stop - 1})",
                    line=number,
                )
            try:
                return datetime(
                    int(match["year"]),
                    month_number,
                    int(match["day"]),
                    int(match["hour"]),
                    int(match["minute"]),
                    tzinfo=wire_tz,
                )
            except ValueError:
                raise WireError(
                    f"timestamp {line!r} is not a real date and time", line=number
                ) from None
    return None


def _read_dateline(
    line: str, reference: date | None, warnings: list[str] | None
) -> tuple[Dateline, str] | None:
    """Split ``BAKU, Sept 21, 2023 (BSS/AFP) - text`` into a Dateline and the text."""
    match = _DATELINE.match(line)
    if not match:
        return None
    head = [part.strip() for part in match["head"].split(",")]
    credit = (match["credit"] or "").strip()
    when = None
    date_text = None
    for i in (len(head) - 1, len(head) - 2):
        if i < 1:
            continue
        candidate = ", ".join(head[i:])
        if _DATE_MONTH_FIRST.match(candidate) or _DATE_DAY_FIRST.match(candidate):
            date_text, head = candidate, head[:i]
            break
    place = ", ".join(head)
    if not all(_PLACE.match(part) for part in head):
        return None
    # Agencies write the place in capitals ("BAKU", "KYIV, Ukraine") and credit themselves
    # or give a date; "Moscow -- the power broker -- said" and "US - China talks" are not
    # datelines, nor is "Ms Smith (right) - said".
    if not head[0].isupper() or not _is_credit(credit) or (not credit and date_text is None):
        return None
    if date_text is not None:
        when = _read_dateline_date(date_text, reference, warnings)
    return Dateline(place=place, date=when, credit=credit), match["rest"]


def _is_credit(credit: str) -> bool:
    """Empty, or a credit an agency writes: starting with a capital ("AFP", "BSS/AFP"), or
    with one of the agencies that write their name in lower case ("dpa", "dpa/AFP")."""
    return not credit[:1].islower() or credit.split("/")[0].strip() in LOWER_CASE_CREDITS


def _read_dateline_date(
    text: str, reference: date | None, warnings: list[str] | None
) -> date | None:
    match = _DATE_MONTH_FIRST.match(text) or _DATE_DAY_FIRST.match(text)
    month = _MONTHS[_month_key(match["month"])]
    day = int(match["day"])
    try:
        if match["year"]:
            if int(match["year"]) not in YEARS:
                raise ValueError("year out of range")
            return date(int(match["year"]), month, day)
        if reference is None:
            if warnings is not None:
                warnings.append(f"dateline date {text!r} has no year and none to infer")
            return None
        # The most recent such day: a Dec 31 dateline on copy stamped Jan 1 is last year's.
        guess = date(reference.year, month, day)
        if guess > reference + timedelta(days=7):
            guess = date(reference.year - 1, month, day)
        return guess
    except ValueError:
        if warnings is not None:
            warnings.append(f"dateline date {text!r} is not a date of the calendar")
        return None


def _month_key(month: str) -> str:
    return month.rstrip(".").lower()


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
