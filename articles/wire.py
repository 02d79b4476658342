"""Parse agency wire copy into structured data.

A pure function from text to dataclasses: no Django imports, no I/O, no clock. The shape it
expects is the one agencies send (see ``fixtures/source/`` for a real example)::

    21 Sep 2023, 09:55                      <- optional timestamp line, in the wire time zone
    <blank>
    Headline on one line
    <blank>
    BAKU, Sept 21, 2023 (BSS/AFP) - First paragraph, opening with the dateline...
    Next paragraph (blank lines or single line breaks separate paragraphs)
    - A subheading -
    More paragraphs...
      • Latest News                          <- website leftovers, dropped

Everything that is story text is kept word for word; what cannot be made sense of raises
:class:`WireError` with a one-line message that names the problem and, where there is one,
the line.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

MAX_INPUT_BYTES = 1_000_000
"""A long wire story is 50 KB; anything past a megabyte is not a story."""

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

_SUBHEADING = re.compile(rf"^{_DASH}\s*(?P<text>\S(?:.*?\S)?)\s*{_DASH}$")
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
    lines = _normalise(text).split("\n")
    _refuse_control_characters(lines)
    if not any(line.strip() for line in lines):
        raise WireError("empty input: no text to parse")

    warnings: list[str] = []
    numbered = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
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


# What _refuse_control_characters refuses (categories Cc but tab and form feed, and Cs),
# to find the first one in one scan rather than asking unicodedata about every character.
_REFUSED_CHARACTER = re.compile("[\x00-\x08\x0a\x0b\x0d-\x1f\x7f-\x9f\ud800-\udfff]")


def _refuse_control_characters(lines: list[str]) -> None:
    for number, line in enumerate(lines, start=1):
        found = _REFUSED_CHARACTER.search(line)
        if found is None:
            continue
        char = found[0]
        if unicodedata.category(char) == "Cs":
            raise WireError(f"not UTF-8 text (unpaired surrogate U+{ord(char):04X})", line=number)
        raise WireError(
            f"binary data, not text (control character U+{ord(char):04X})", line=number
        )


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

    for number, line in numbered:
        match = _SUBHEADING.match(line)
        if match and len(match["text"]) <= MAX_SUBHEADING_CHARS:
            close()
            subheading, subheading_line, paragraphs = match["text"], number, []
        else:
            paragraphs.append(line)
    close()
    return tuple(sections)
