"""The lifecycle markers of agency copy: which take of a story a piece of copy is.

Agencies send a story in takes, and mark each take in its headline and in lines before the
story text::

    CORRECTED-UPDATE 2-Death toll rises        <- headline prefixes: kind and revision
    (Corrects name of minister in paragraph 4)  <- the editors' note (Reuters' "trash line")
    EMBARGOED UNTIL 0001 GMT, Sept 22           <- not public before this time

What is read here, and the rules (documented for importers in the README):

- **Headline prefixes**, any number, in any order, at the start of the headline:
  ``UPDATE n-`` and ``WRITETHRU`` (an update, revision ``n``), ``CORRECTED-`` and
  ``CORRECTION-`` (a correction), ``REFILE-`` and ``RPT-`` (a refile or repeat), ``KILL``,
  ``WITHDRAWN`` and ``ELIMINATE`` (a kill notice; Reuters' ``STORY WITHDRAWN`` and AP's
  ``ELIMINATION`` too). Any case, a hyphen, en dash, em dash or colon, with or without
  spaces. One exception keeps compound words whole: a prefix written in lower or mixed case
  and joined by a bare hyphen to a lower-case word ("Correction-weary", "Kill-switch",
  "Update 100-day plan") is headline text; in capitals it is always a marker. The kind is
  ``kill`` if any prefix is a kill, else ``correction`` (the revision is kept: CORRECTED +
  UPDATE 2 is a correction of revision 2), else ``update``, else ``refile``; REFILE and RPT
  take the kind of what they carry. Reading stops at the first word that is not a known
  prefix: "FACTBOX-", "ANALYSIS-" or "WRAPUP 1-" stay in the headline, and so does
  everything after them. A prefix is only taken off when headline text follows it; a
  headline that is nothing but a kill word ("KILL") is a kill notice that keeps that word as
  its headline.
- **The editors' note**: one line wholly in parentheses right after the headline (any
  words: no story text comes before the first paragraph), or right after the dateline
  paragraph when it starts with an editors' verb ("Adds", "Updates", "Corrects", "Recasts",
  "Refiles", "Story corrects" ...): a story paragraph may be in brackets too. The note's
  verb counts like a prefix: "(Corrects ...)" marks a correction (the design names both
  ``CORRECTED-`` and ``(Corrects ...)``), "(Adds ...)" or "(Updates ...)" an update,
  "(Repeats ...)" or "(Refiles ...)" a refile; the strongest kind wins as above. At most
  one note is taken: a second bracketed line stays story text.
- **Embargo lines** (``EMBARGOED UNTIL <time> GMT[, <date>]``, ``EMBARGO: ...``), anywhere
  before the first paragraph. See :func:`read_embargo`. An embargo line that cannot be read
  is a :class:`WireError`, never dropped and never taken for a headline: publishing early is
  the one mistake that cannot be taken back. So is an embargo line written in capitals
  after the story has begun.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from articles.wire.dateline import YEARS, read_month_day
from articles.wire.model import WireError

KINDS = ("original", "update", "correction", "kill", "refile")
"""What a take is. ``original`` is a first take; of several markers the strongest wins: a kill
beats a correction beats an update beats a refile."""

MAX_NOTE_CHARS = 300
"""An editors' note is a line or two; a longer bracketed line is story text."""

_SEP = r"[^\S\n]*(?:-{1,2}|–|—|:)[^\S\n]*"
_PREFIX_WORDS = {
    "update": "update",
    "writethru": "update",
    "write-thru": "update",
    "write thru": "update",
    "writethrough": "update",
    "write-through": "update",
    "corrected": "correction",
    "correction": "correction",
    "refile": "refile",
    "refiled": "refile",
    "rpt": "refile",
    "kill": "kill",
    "withdrawn": "kill",
    "story withdrawn": "kill",
    "eliminate": "kill",
    "elimination": "kill",
}
_WORDS = "|".join(re.escape(w) for w in sorted(_PREFIX_WORDS, key=len, reverse=True))
_PREFIX = re.compile(
    rf"^(?P<word>{_WORDS})(?:[^\S\n]*(?P<number>\d{{1,3}}))?(?P<sep>{_SEP})(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_NUMBERED = frozenset({"update"})
_BARE_KILL = re.compile(
    r"^(?:kill|withdrawn|story withdrawn|eliminate|elimination)[.!]?$", re.IGNORECASE
)

# A line wholly in one pair of parentheses (one level of brackets inside is allowed).
_NOTE = re.compile(r"^\(\s*(?P<text>[^\W\d_][^()]*(?:\([^()]*\)[^()]*)*?)\s*\)$")
_NOTE_VERB = re.compile(
    r"^(?:(?:this\s+)?(?:story|version|item)\s+(?:has\s+been\s+|was\s+|is\s+)?)?"
    r"(?P<verb>[^\W\d_][\w-]*)",
    re.IGNORECASE,
)
_NOTE_VERBS = {
    "correction": "corrects correcting corrected correction".split(),
    "refile": "refiles refiled refiling repeats repeated repeating resends re-sends".split(),
    "update": """adds adding added updates updating updated recasts recast rewrites rewritten
        writes tops retops changes changed expands inserts includes replaces moves reorders
        trims removes deletes edits new fixes clarifies amends releases restores""".split(),
}
_VERB_KIND = {verb: kind for kind, verbs in _NOTE_VERBS.items() for verb in verbs}

_EMBARGO_LINE = re.compile(
    r"^[*\s]*(?P<word>embargoed|embargo)"
    r"(?:[^\S\n]+(?:until|till|til|to)\b[^\S\n]*:?"  # EMBARGOED UNTIL
    r"|[^\S\n]*:|[^\S\n]*[–—]|[^\S\n]+-{1,2}[^\S\n])"  # EMBARGO: / EMBARGO - (not Embargo-busting)
    r"[^\S\n]*(?P<when>.*?)[*\s]*$",
    re.IGNORECASE,
)
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_TIME = (
    r"(?P<hour>\d{1,2})(?:[:.h]?(?P<minute>\d{2}))?"
    r"(?:[^\S\n]*(?P<half>[ap])\.?[^\S\n]*m\.?)?"
)
_ZONE = r"(?P<zone>GMT|UTC|UT|Z)(?:[^\S\n]*(?P<offset>[+-]\d{1,2}(?::?\d{2})?))?"
_TIME_FIRST = re.compile(
    rf"^(?:at\s+)?{_TIME}[^\S\n]*{_ZONE}(?:[\s,]+(?:on\s+)?(?:{_WEEKDAY}[\s,]+)?(?P<date>.+?))?$",
    re.IGNORECASE,
)
_DATE_FIRST = re.compile(
    rf"^(?:on\s+)?(?:{_WEEKDAY}[\s,]+)?(?P<date>.+?)[\s,]+(?:at\s+)?{_TIME}[^\S\n]*{_ZONE}$",
    re.IGNORECASE,
)
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})$")


@dataclass(frozen=True)
class HeadlineMarkers:
    """What a headline's prefixes say: the kind of take, its revision and the bare headline."""

    kind: str
    revision: int | None
    headline: str


def read_headline(headline: str) -> HeadlineMarkers:
    """The lifecycle prefixes of ``headline`` read and taken off (see the module's rules)."""
    kinds: set[str] = set()
    revision = None
    rest = headline
    while match := _PREFIX.match(rest):
        word = match["word"].lower()
        kind = _PREFIX_WORDS[word]
        number = match["number"]
        if number is not None and kind not in _NUMBERED:
            break
        compound = match["sep"] == "-" and match["rest"][0].islower()
        if compound and not match["word"].isupper():
            break  # "Correction-weary markets", "Update 100-day plan": words, not markers
        kinds.add(kind)
        if number is not None and revision is None:
            revision = int(number)
        rest = match["rest"]
    if not kinds and _BARE_KILL.match(headline):
        kinds.add("kill")
    return HeadlineMarkers(kind=strongest(kinds), revision=revision, headline=rest)


def strongest(kinds: set[str | None]) -> str:
    """The kind of a take marked with all of ``kinds``: REFILE takes the kind it carries."""
    for kind in ("kill", "correction", "update", "refile"):
        if kind in kinds:
            return kind
    return "original"


def read_note(line: str, *, any_words: bool) -> str | None:
    """The editors' note on ``line`` without its parentheses, or None when it is not one.

    ``any_words`` is for the line after the headline, where no story text can be; after the
    dateline paragraph the note must start with an editors' verb.
    """
    match = _NOTE.match(line)
    if match is None or len(line) > MAX_NOTE_CHARS:
        return None
    text = match["text"].strip()
    if not any_words and note_kind(text) is None:
        return None
    return text


def note_kind(note: str) -> str | None:
    """The kind of take an editors' note's verb names ("Corrects ...": a correction)."""
    match = _NOTE_VERB.match(note)
    return _VERB_KIND.get(match["verb"].lower()) if match else None


def is_embargo_line(line: str) -> bool:
    """Whether ``line`` is an embargo line (``EMBARGOED UNTIL ...``, ``EMBARGO: ...``)."""
    return _EMBARGO_LINE.match(line) is not None


def is_capitalised_embargo_line(line: str) -> bool:
    """An embargo line as agencies write it, in capitals: never story text."""
    match = _EMBARGO_LINE.match(line)
    return match is not None and match["word"].isupper()


def read_embargo(
    line: str, number: int, *, published_at: datetime | None, reference: date | None
) -> datetime:
    """The time an embargo line names, in UTC; a :class:`WireError` naming ``number`` when
    it cannot be read.

    The time is ``0001``, ``00:01``, ``14.30`` or ``12:01 a.m.``, in GMT or UTC (``Z``;
    ``GMT+2`` and other offsets count): a time with another zone or none is refused rather
    than guessed. The date (``Sept 22``, ``22 September 2023``, ``Friday, Sept 22``,
    ``2023-09-22``) may come before or after the time. A date without a year takes the year
    that puts it nearest ``reference`` (the copy's timestamp, dateline date or today), so an
    embargo of "Jan 2" on copy of Dec 28 is next year's. With no date, the embargo is the
    first such time at or after the copy's timestamp (``published_at``), or on the
    ``reference`` day when there is no timestamp.
    """
    match = _EMBARGO_LINE.match(line)
    when = match["when"].rstrip(". ") if match else ""
    if not when:
        raise WireError(f"embargo line {line!r} gives no time", line=number)
    moment = None
    if _ISO_MOMENT.match(when):
        try:
            moment = datetime.fromisoformat(when.replace(" GMT", "Z").replace(" UTC", "Z"))
        except ValueError:
            moment = None
    if moment is not None:
        if moment.tzinfo is None:
            raise _unreadable(line, number, "it has no time zone: give it in GMT")
        return _in_range(moment.astimezone(UTC), line, number)
    parts = _TIME_FIRST.match(when) or _DATE_FIRST.match(when)
    if parts is None:
        raise _unreadable(line, number, "write it as EMBARGOED UNTIL 0001 GMT, Sept 22")
    clock = _clock(parts, line, number)
    zone = _zone(parts["offset"], line, number)
    if parts["date"] is None:
        if published_at is not None:
            start = published_at.astimezone(zone)
            moment = datetime.combine(start.date(), clock, zone)
            if moment < start:
                moment += timedelta(days=1)
        elif reference is not None:
            moment = datetime.combine(reference, clock, zone)
        else:
            raise _unreadable(line, number, "it has no date and the copy gives none")
    else:
        day = _embargo_date(parts["date"], reference, line, number)
        moment = datetime.combine(day, clock, zone)
    return _in_range(moment.astimezone(UTC), line, number)


def _clock(parts: re.Match, line: str, number: int) -> time:
    hour, minute, half = int(parts["hour"]), parts["minute"], parts["half"]
    if minute is None and half is None:
        raise _unreadable(line, number, "the time has no minutes")
    minute = int(minute or 0)
    if half is not None:
        if not 1 <= hour <= 12:
            raise _unreadable(line, number, f"{hour} is not an hour of a.m. or p.m.")
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    if hour > 23 or minute > 59:
        raise _unreadable(line, number, "the time is not a time of day")
    return time(hour, minute)


def _zone(offset: str | None, line: str, number: int) -> timezone:
    if offset is None:
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    if hours > 14 or minutes > 59:
        raise _unreadable(line, number, f"GMT{offset} is not a time zone")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _embargo_date(text: str, reference: date | None, line: str, number: int) -> date:
    text = text.strip(" ,")
    iso = _ISO_DATE.match(text)
    found = (int(iso["month"]), int(iso["day"]), int(iso["year"])) if iso else read_month_day(text)
    if found is None:
        raise _unreadable(line, number, f"{text!r} is not a date")
    month, day, year = found
    if year is None and reference is None:
        raise _unreadable(line, number, "the date has no year and the copy gives none")
    if year is not None:
        years = [year] if year in YEARS else []
    else:
        years = [reference.year - 1, reference.year, reference.year + 1]
    candidates = []
    for guess in years:
        try:
            candidates.append(date(guess, month, day))
        except ValueError:
            continue
    if not candidates:
        raise _unreadable(line, number, f"{text!r} is not a date of the calendar")
    # Without a year: the year that puts the date nearest the copy's own day.
    return min(candidates, key=lambda d: abs(d - reference)) if year is None else candidates[0]


def _in_range(moment: datetime, line: str, number: int) -> datetime:
    if moment.year not in YEARS:
        raise _unreadable(line, number, f"the year is outside {YEARS.start}-{YEARS.stop - 1}")
    return moment


def _unreadable(line: str, number: int, why: str) -> WireError:
    return WireError(
        f"embargo line {line!r} cannot be read ({why}); the copy is refused so that it is "
        "not published early",
        line=number,
    )
