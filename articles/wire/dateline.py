"""Reading the timestamp line and the dateline that opens the first paragraph."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

from articles.wire.model import Dateline, WireError

# Years a news story can carry; outside them a date is a typo (and 0001 overflows UTC).
YEARS = range(1900, 2101)

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "febr": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10,
    "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = r"(?:{})\.?".format("|".join(sorted(_MONTHS, key=len, reverse=True)))
DASH = r"(?:-{1,2}|–|—)"
"""The dashes agencies write after a dateline and around a subheading."""

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
# The head (place and date) and the credit are taken apart further in read_dateline.
_DATELINE = re.compile(
    rf"^(?P<head>[^\W\d_][^()\n]{{0,79}}?)\s*"
    r"(?:\((?P<credit>[^\W\d_][\w/&.' -]{0,39})\))?"
    rf"\s*{DASH}\s+(?P<rest>\S.*)$"
)
_PLACE = re.compile(r"^[^\W\d_][^\W\d_ .'’-]*(?:[ .'’-]+[^\W\d_]+)*\.?$")
# Agencies that write their own name in lower case. Any other credit starting with a
# lower-case letter is a bracket in a sentence ("Ms Smith (right) - said"), not a credit.
LOWER_CASE_CREDITS = frozenset({"dpa", "dpa-AFX", "epd"})


def read_timestamp(line: str, wire_tz: tzinfo, number: int) -> datetime | None:
    """The time on a timestamp line (``21 Sep 2023, 09:55``) in ``wire_tz``, or None when
    ``line`` (line ``number`` of the copy) is not one."""
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


def read_dateline(
    line: str, reference: date | None, warnings: list[str] | None
) -> tuple[Dateline, str] | None:
    """Split ``BAKU, Sept 21, 2023 (BSS/AFP) - text`` into a Dateline and the text.

    A date without a year takes its year from ``reference``: the most recent such day, or
    one at most a week ahead. What cannot be read is noted in ``warnings`` when given.
    """
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


def read_month_day(text: str) -> tuple[int, int, int | None] | None:
    """Month, day and year (None when not written) of ``Sept 22``, ``Sept 22, 2023`` or
    ``22 September 2023``, as datelines write them; None for anything else. The day is not
    checked against the calendar."""
    match = _DATE_MONTH_FIRST.match(text) or _DATE_DAY_FIRST.match(text)
    if match is None:
        return None
    year = int(match["year"]) if match["year"] else None
    return _MONTHS[_month_key(match["month"])], int(match["day"]), year


def _month_key(month: str) -> str:
    return month.rstrip(".").lower()
