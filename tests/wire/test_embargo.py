"""Embargo lines: their spellings, places, times, years, and a clear error for the unreadable."""

from datetime import UTC, date, datetime

import pytest

from articles import wire
from tests.wire.helpers import ROOT, copy, paragraphs

SAMPLES = ROOT / "tests" / "wire" / "lifecycle"
BODY = ("BAKU, Sept 21 (AFP) - First paragraph.", "Second paragraph.")
MIDNIGHT = datetime(2023, 9, 22, 0, 1, tzinfo=UTC)


def embargoed(line: str, *, stamp: str | None = "21 Sep 2023, 09:55", **options):
    """Copy with ``line`` between the headline and the first paragraph, parsed."""
    return wire.parse(copy(line, *BODY, stamp=stamp), **options)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("EMBARGOED UNTIL 0001 GMT, Sept 22", MIDNIGHT),
        ("EMBARGOED UNTIL 0001 GMT Sept 22", MIDNIGHT),
        ("Embargoed until 00:01 GMT, Sept. 22", MIDNIGHT),
        ("embargoed until 0001 gmt, 22 September", MIDNIGHT),
        ("EMBARGOED UNTIL 0001 GMT on Friday, Sept 22", MIDNIGHT),
        ("EMBARGOED UNTIL: 0001 GMT, Sept 22, 2023", MIDNIGHT),
        ("EMBARGOED TILL 0001 UTC Sept 22", MIDNIGHT),
        ("Embargoed until 14:30 GMT Sept 22, 2023", datetime(2023, 9, 22, 14, 30, tzinfo=UTC)),
        ("Embargoed until 14.30 GMT Sept 22 2023", datetime(2023, 9, 22, 14, 30, tzinfo=UTC)),
        ("EMBARGOED UNTIL 2:30 p.m. GMT Sept 22", datetime(2023, 9, 22, 14, 30, tzinfo=UTC)),
        ("EMBARGOED UNTIL 12:01 a.m. GMT Sept 22", MIDNIGHT),
        ("EMBARGOED UNTIL Sept 22, 2023, 0001 GMT", MIDNIGHT),
        ("EMBARGOED UNTIL Friday, Sept 22 at 00:01 GMT", MIDNIGHT),
        ("EMBARGOED UNTIL 0201 GMT+2, Sept 22", MIDNIGHT),
        ("EMBARGOED UNTIL 2001 GMT-04:00 Sept 21", MIDNIGHT),
        ("EMBARGO: 0001 GMT Sept 22", MIDNIGHT),
        ("Embargo: 0001 GMT, Sept 22.", MIDNIGHT),
        ("EMBARGO - 0001 GMT, Sept 22", MIDNIGHT),
        ("EMBARGO – 0001 GMT, Sept 22", MIDNIGHT),
        ("*** EMBARGOED UNTIL 0001 GMT, Sept 22 ***", MIDNIGHT),
        ("EMBARGO: 2023-09-22T00:01Z", MIDNIGHT),
        ("EMBARGO: 2023-09-22 02:01+02:00", MIDNIGHT),
        ("EMBARGO: 2023-09-22 0001 GMT", MIDNIGHT),
    ],
)
def test_embargo_spellings(line, expected):
    """Each spelling gives the embargo as an instant in UTC; the line leaves the body."""
    story = embargoed(line, wire_tz="Asia/Dhaka")
    assert story.embargo == expected
    assert story.embargo.utcoffset().total_seconds() == 0
    assert story.as_dict()["embargo"] == expected.isoformat()
    assert paragraphs(story) == ["First paragraph.", "Second paragraph."]
    assert story.dateline == wire.Dateline("BAKU", date(2023, 9, 21), "AFP")
    assert story.kind == "original"
    assert story.warnings == ()


def test_embargo_json_is_iso_8601_utc():
    """The JSON carries the embargo as ISO 8601 with a zero offset."""
    story = embargoed("EMBARGOED UNTIL 0001 GMT, Sept 22")
    assert story.as_dict()["embargo"] == "2023-09-22T00:01:00+00:00"


@pytest.mark.parametrize(
    "before",
    [
        ["EMBARGOED UNTIL 0001 GMT, Sept 22", "", "21 Sep 2023, 09:55", "", "Quake"],
        ["21 Sep 2023, 09:55", "EMBARGOED UNTIL 0001 GMT, Sept 22", "Quake"],
        ["21 Sep 2023, 09:55", "", "Quake", "", "EMBARGOED UNTIL 0001 GMT, Sept 22"],
        ["21 Sep 2023, 09:55", "Quake", "(Adds toll)", "EMBARGOED UNTIL 0001 GMT, Sept 22"],
        ["21 Sep 2023, 09:55", "Quake", "EMBARGOED UNTIL 0001 GMT, Sept 22", "(Adds toll)"],
    ],
)
def test_embargo_line_anywhere_before_the_first_paragraph(before):
    """Before or after the timestamp, after the headline, before or after the note."""
    text = "\r\n".join([*before, "", *BODY]) + "\r\n"
    story = wire.parse(text, wire_tz="Asia/Dhaka")
    assert story.embargo == MIDNIGHT
    assert story.headline == "Quake"
    assert story.published_at.isoformat() == "2023-09-21T09:55:00+06:00"
    assert story.note == ("Adds toll" if "(Adds toll)" in before else None)
    assert paragraphs(story) == ["First paragraph.", "Second paragraph."]
    assert story.source_text == text


def test_the_later_of_two_embargo_lines_holds():
    """Two embargo lines that disagree: the later time, so nothing is published early."""
    text = copy(
        "EMBARGOED UNTIL 0001 GMT, Sept 22", "EMBARGO: 0600 GMT Sept 22", *BODY, headline="Quake"
    )
    assert wire.parse(text).embargo == datetime(2023, 9, 22, 6, 0, tzinfo=UTC)


# --- Years and missing dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamp", "line", "expected"),
    [
        ("28 Dec 2023, 10:00", "EMBARGOED UNTIL 0001 GMT, Jan 2", datetime(2024, 1, 2, 0, 1)),
        ("2 Jan 2024, 10:00", "EMBARGOED UNTIL 0001 GMT, Dec 31", datetime(2023, 12, 31, 0, 1)),
        ("21 Sep 2023, 09:55", "EMBARGOED UNTIL 0001 GMT, Sept 22", datetime(2023, 9, 22, 0, 1)),
        ("21 Sep 2023, 09:55", "EMBARGOED UNTIL 0001 GMT, Feb 29", datetime(2024, 2, 29, 0, 1)),
    ],
)
def test_a_date_without_a_year_takes_the_year_nearest_the_copy(stamp, line, expected):
    """The year that puts the date nearest the copy's timestamp: across New Year too."""
    assert embargoed(line, stamp=stamp).embargo == expected.replace(tzinfo=UTC)


def test_the_year_comes_from_the_dateline_or_today_without_a_timestamp():
    """Without a timestamp the dateline's date, then ``today``, gives the year."""
    text = copy("EMBARGOED UNTIL 0001 GMT, Sept 22", "BAKU, Sept 21, 2021 (AFP) - A.", stamp=None)
    dated = wire.parse(text, today=date(2030, 1, 1))
    assert dated.embargo == datetime(2021, 9, 22, 0, 1, tzinfo=UTC)
    story = embargoed("EMBARGOED UNTIL 0001 GMT, Sept 22", stamp=None, today=date(2022, 9, 21))
    assert story.embargo == datetime(2022, 9, 22, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "wire_tz", "expected"),
    [
        ("21 Sep 2023, 09:55", "Asia/Dhaka", datetime(2023, 9, 22, 0, 1)),  # 03:55 UTC
        ("21 Sep 2023, 05:30", "Asia/Dhaka", datetime(2023, 9, 21, 0, 1)),  # 23:30 UTC Sept 20
        ("21 Sep 2023, 00:01", "UTC", datetime(2023, 9, 21, 0, 1)),  # that very minute
    ],
)
def test_an_embargo_without_a_date_is_the_next_such_time(stamp, wire_tz, expected):
    """A time without a date is the first such time at or after the copy's timestamp, read
    in the wire time zone."""
    story = embargoed("EMBARGOED UNTIL 0001 GMT", stamp=stamp, wire_tz=wire_tz)
    assert story.embargo == expected.replace(tzinfo=UTC)


def test_an_embargo_without_a_date_or_timestamp_takes_the_dateline_day():
    """No timestamp: the dateline's day (or ``today``) at that time."""
    story = embargoed("EMBARGO: 1800 GMT", stamp=None, today=date(2023, 9, 23))
    assert story.dateline.date == date(2023, 9, 21)
    assert story.embargo == datetime(2023, 9, 21, 18, 0, tzinfo=UTC)


def test_the_embargoed_sample():
    """The sample with the embargo line above the timestamp."""
    story = wire.parse((SAMPLES / "embargoed.txt").read_bytes(), wire_tz="Asia/Dhaka")
    assert story.embargo == MIDNIGHT
    assert story.headline == "Karabakh talks to resume, envoys say"
    assert len(paragraphs(story)) == 2


# --- What cannot be read is refused -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("EMBARGO: midnight Friday", "write it as EMBARGOED UNTIL 0001 GMT, Sept 22"),
        ("EMBARGOED UNTIL further notice", "write it as EMBARGOED UNTIL 0001 GMT, Sept 22"),
        ("EMBARGOED UNTIL 0001 CET, Sept 22", "write it as EMBARGOED UNTIL 0001 GMT, Sept 22"),
        ("EMBARGOED UNTIL 0001, Sept 22", "write it as EMBARGOED UNTIL 0001 GMT, Sept 22"),
        ("EMBARGO: 2023-09-22T00:01", "it has no time zone: give it in GMT"),
        ("EMBARGOED UNTIL 2501 GMT, Sept 22", "the time is not a time of day"),
        ("EMBARGOED UNTIL 13:30 p.m. GMT Sept 22", "13 is not an hour of a.m. or p.m."),
        ("EMBARGOED UNTIL 14 GMT Sept 22", "the time has no minutes"),
        ("EMBARGOED UNTIL 0001 GMT, Sept 31", "'Sept 31' is not a date of the calendar"),
        ("EMBARGOED UNTIL 0001 GMT, Smarch 3", "'Smarch 3' is not a date"),
        ("EMBARGOED UNTIL 0001 GMT+15, Sept 22", "GMT+15 is not a time zone"),
        ("EMBARGOED UNTIL 0001 GMT, Sept 22, 0001", "'Sept 22, 0001' is not a date of the"),
    ],
)
def test_an_unreadable_embargo_is_refused_naming_the_line(line, why):
    """An embargo line that cannot be read refuses the copy, with the line, the reason and
    what it protects; it is never dropped."""
    with pytest.raises(wire.WireError) as caught:
        embargoed(line)
    assert caught.value.line == 5
    assert str(caught.value).startswith(f"line 5: embargo line {line!r} cannot be read ({why}")
    assert str(caught.value).endswith("the copy is refused so that it is not published early")
    assert "\n" not in str(caught.value)


def test_an_embargo_with_no_time_at_all_is_refused():
    """``EMBARGO:`` with nothing after it is refused."""
    with pytest.raises(wire.WireError, match=r"^line 5: embargo line 'EMBARGO:' gives no time$"):
        embargoed("EMBARGO:")


def test_a_date_without_a_year_and_nothing_to_infer_it_from_is_refused():
    """No timestamp, no dated dateline, no ``today``: the year is not guessed."""
    text = copy("EMBARGOED UNTIL 0001 GMT, Sept 22", "BAKU (AFP) - A.", stamp=None)
    with pytest.raises(wire.WireError, match="the date has no year and the copy gives none"):
        wire.parse(text)
    with pytest.raises(wire.WireError, match="it has no date and the copy gives none"):
        wire.parse(copy("EMBARGO: 0001 GMT", "BAKU (AFP) - A.", stamp=None))


def test_an_unreadable_embargo_in_the_headline_place_is_refused():
    """An embargo line where the headline would be is never taken for the headline."""
    with pytest.raises(wire.WireError, match=r"^line 1: embargo line 'EMBARGO: Friday'"):
        wire.parse("EMBARGO: Friday\n\nQuake\n\nBAKU (AFP) - A.\n")


def test_an_embargo_line_in_capitals_after_the_story_has_begun_is_refused():
    """Agencies put the embargo first; one in capitals inside the story refuses the copy."""
    text = copy(*BODY, "EMBARGOED UNTIL 0001 GMT, Sept 22", "Third.")
    with pytest.raises(wire.WireError, match=r"^line 7: embargo line after the story has begun"):
        wire.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "Embargoed until Friday, the report says more than 200 died.",
        "Embargo: the word of the year, say lexicographers.",
        "EMBARGO on Russian oil tightened",
        "Embargo-busting tankers seized",
    ],
)
def test_embargo_words_in_the_story_stay_story_text(text):
    """Story text that mentions an embargo, after the first paragraph, is kept as it is."""
    story = wire.parse(copy(*BODY, text))
    assert story.embargo is None
    assert paragraphs(story)[-1] == text


@pytest.mark.parametrize(
    "headline", ["EMBARGO on Russian oil tightened", "Embargo-busting tankers seized"]
)
def test_headlines_about_embargoes_are_headlines(headline):
    """An embargo word not followed by ``UNTIL``, a colon or a spaced dash is headline text."""
    story = wire.parse(copy(*BODY, headline=headline))
    assert (story.headline, story.embargo) == (headline, None)
