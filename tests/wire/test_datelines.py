"""Datelines: places, dates, agency credits, what is not a dateline, and their rendering."""

from datetime import date

import pytest

from articles import wire
from tests.wire.helpers import NO_TIMESTAMP, copy, paragraphs

MONTHS = (
    "Jan",
    "Feb",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
)


# --- Datelines of agency copy -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("credit_text", "credit"),
    [("(AFP)", "AFP"), ("(Reuters)", "Reuters"), ("(AP)", "AP"), ("(BSS/AFP)", "BSS/AFP")],
)
def test_agency_credits(credit_text, credit):
    """Each agency's credit form is read into the dateline's credit."""
    story = wire.parse(copy(f"BAKU, Sept 21, 2023 {credit_text} - First paragraph."))
    assert story.dateline == wire.Dateline("BAKU", date(2023, 9, 21), credit)
    assert str(story.dateline) == f"BAKU, Sept 21, 2023 ({credit}) -"
    assert paragraphs(story) == ["First paragraph.", "Second paragraph."]
    assert story.warnings == ()


@pytest.mark.parametrize(
    "dateline_text",
    [
        "BAKU, Sept 21 (AFP)",
        "BAKU, Sep 21 (AFP)",
        "BAKU, Sept. 21 (AFP)",
        "BAKU, September 21 (AFP)",
        "BAKU, 21 Sept (AFP)",
        "BAKU, 21 Sept 2023 (AFP)",
        "BAKU, Sept 21 2023 (AFP)",
    ],
)
def test_dateline_date_forms(dateline_text):
    """Month-first and day-first dates, abbreviated or not, with or without a year."""
    story = wire.parse(copy(f"{dateline_text} - First paragraph."))
    assert story.dateline == wire.Dateline("BAKU", date(2023, 9, 21), "AFP")
    assert paragraphs(story)[0] == "First paragraph."
    assert story.warnings == ()


def test_dateline_year_comes_from_the_timestamp():
    """A dateline date without a year takes the timestamp's year."""
    story = wire.parse(copy("BAKU, March 3 (AFP) - Text.", stamp="3 Mar 2021, 08:00"))
    assert story.dateline.date == date(2021, 3, 3)
    assert story.warnings == ()


def test_dateline_year_comes_from_the_timestamp_in_the_wire_time_zone():
    """The reference day is the timestamp's day in the wire time zone, not in UTC."""
    story = wire.parse(
        copy("BAKU, Dec 31 (AFP) - Text.", stamp="1 Jan 2024, 00:30"), wire_tz="Asia/Dhaka"
    )
    assert story.dateline.date == date(2023, 12, 31)


def test_dateline_year_comes_from_today_without_a_timestamp():
    """Without a timestamp line, ``today`` gives the year."""
    story = wire.parse(copy("BAKU, Feb 29 (AFP) - Text.", stamp=None), today=date(2024, 3, 1))
    assert story.dateline == wire.Dateline("BAKU", date(2024, 2, 29), "AFP")
    assert story.published_at is None
    assert story.warnings == (NO_TIMESTAMP,)


def test_today_is_ignored_when_there_is_a_timestamp():
    """The timestamp, not ``today``, is the reference when the copy has one."""
    story = wire.parse(copy("BAKU, Sept 21 (AFP) - Text."), today=date(2030, 1, 1))
    assert story.dateline.date == date(2023, 9, 21)


@pytest.mark.parametrize(
    ("stamp", "today"),
    [("2 Jan 2024, 10:00", None), (None, date(2024, 1, 2))],
)
def test_dateline_date_across_new_year_is_last_year(stamp, today):
    """A Dec 31 dateline on copy of Jan 2 is the previous year's Dec 31."""
    story = wire.parse(copy("BAKU, Dec 31 (AFP) - Text.", stamp=stamp), today=today)
    assert story.dateline == wire.Dateline("BAKU", date(2023, 12, 31), "AFP")
    assert str(story.dateline) == "BAKU, Dec 31, 2023 (AFP) -"


def test_dateline_date_slightly_ahead_of_the_timestamp_is_this_year():
    """A dateline day a little after the timestamp's day stays in the same year."""
    story = wire.parse(copy("BAKU, Jan 3 (AFP) - Text.", stamp="2 Jan 2024, 10:00"))
    assert story.dateline.date == date(2024, 1, 3)


def test_dateline_without_year_and_nothing_to_infer_it_from():
    """No year, no timestamp, no ``today``: no date, a warning, the rest still parsed."""
    story = wire.parse(copy("BAKU, Sept 21 (AFP) - Text.", stamp=None))
    assert story.dateline == wire.Dateline("BAKU", None, "AFP")
    assert story.warnings == (
        NO_TIMESTAMP,
        "dateline date 'Sept 21' has no year and none to infer",
    )
    assert paragraphs(story) == ["Text.", "Second paragraph."]


def test_dateline_date_not_on_the_calendar():
    """An impossible date such as Feb 30 gives no date and a warning."""
    story = wire.parse(copy("BAKU, Feb 30 (AFP) - Text."))
    assert story.dateline == wire.Dateline("BAKU", None, "AFP")
    assert story.warnings == ("dateline date 'Feb 30' is not a date of the calendar",)


def test_dateline_without_a_date():
    """ "BAKU (AFP) - text" has a place and a credit but no date."""
    story = wire.parse(copy("BAKU (AFP) - Azerbaijan said Wednesday."))
    assert story.dateline == wire.Dateline("BAKU", None, "AFP")
    assert str(story.dateline) == "BAKU (AFP) -"
    assert story.dateline.as_dict() == {"place": "BAKU", "date": None, "credit": "AFP"}
    assert paragraphs(story)[0] == "Azerbaijan said Wednesday."
    assert story.warnings == ()


def test_place_and_dash_alone_is_not_a_dateline():
    """Agencies credit themselves or date the copy; "BAKU - text" alone stays text."""
    story = wire.parse(copy("BAKU - Azerbaijan said Wednesday."))
    assert story.dateline is None
    assert paragraphs(story)[0] == "BAKU - Azerbaijan said Wednesday."
    assert any("no dateline found" in w for w in story.warnings)


@pytest.mark.parametrize("dash", ["-", "--", "–", "—"])
def test_dateline_separators(dash):
    """Hyphen, double hyphen, en dash and em dash all end a dateline."""
    story = wire.parse(copy(f"BAKU, Sept 21, 2023 (BSS/AFP) {dash} Azerbaijan said Wednesday."))
    assert story.dateline == wire.Dateline("BAKU", date(2023, 9, 21), "BSS/AFP")
    assert str(story.dateline) == "BAKU, Sept 21, 2023 (BSS/AFP) -"
    assert paragraphs(story)[0] == "Azerbaijan said Wednesday."


@pytest.mark.parametrize("dash", ["-", "–", "—"])
def test_dateline_separator_without_credit(dash):
    """A dated dateline without a credit may end with any of the dashes."""
    story = wire.parse(copy(f"BAKU, Sept 21, 2023 {dash} Text."))
    assert story.dateline == wire.Dateline("BAKU", date(2023, 9, 21))
    assert paragraphs(story)[0] == "Text."


def test_headline_with_a_dash_is_still_a_headline():
    """ "US - China trade talks resume" is a headline, not a dateline."""
    story = wire.parse("US - China trade talks resume\n\nWASHINGTON (AFP) - Talks resume.\n")
    assert story.headline == "US - China trade talks resume"
    assert story.dateline == wire.Dateline("WASHINGTON", None, "AFP")


@pytest.mark.parametrize(
    ("line", "dateline"),
    [
        ("BERLIN, Nov 26 (dpa) - Text.", wire.Dateline("BERLIN", date(2023, 11, 26), "dpa")),
        ("BERLIN (dpa) - Text.", wire.Dateline("BERLIN", None, "dpa")),
        ("FRANKFURT (dpa-AFX) - Text.", wire.Dateline("FRANKFURT", None, "dpa-AFX")),
        (
            "BERLIN, Nov 26 (dpa/AFP) - Text.",
            wire.Dateline("BERLIN", date(2023, 11, 26), "dpa/AFP"),
        ),
    ],
)
def test_lower_case_agency_credits(line, dateline):
    """Agencies that write their name in lower case (dpa) are credits too."""
    story = wire.parse(copy(line, stamp="26 Nov 2023, 10:00"))
    assert story.dateline == dateline
    assert str(story.dateline).endswith(f"({dateline.credit}) -")
    assert paragraphs(story) == ["Text.", "Second paragraph."]
    assert story.warnings == ()


@pytest.mark.parametrize(
    "first",
    [
        "BERLIN (right) - said she would stay.",
        "BERLIN, Nov 26 (pictured) - the mayor spoke.",
        "Berlin (dpa) - the mayor spoke.",
        "the talks (dpa) - went on all night.",
        "officials said (in private) - that they would stay.",
    ],
)
def test_lower_case_words_in_brackets_are_still_not_credits(first):
    """Only known agencies pass in lower case: other brackets in prose stay text, and a
    place that is not in capitals is no dateline even with a dpa credit."""
    story = wire.parse(copy(first))
    assert story.dateline is None
    assert paragraphs(story) == [first, "Second paragraph."]
    assert story.warnings == ("no dateline found (line 5)",)


def test_brackets_in_a_sentence_are_not_a_credit():
    """ "Ms Smith (right) - said" is a paragraph, not a dateline with credit "right"."""
    story = wire.parse(copy("Ms Smith (right) - said she would stay."))
    assert story.dateline is None
    assert paragraphs(story)[0] == "Ms Smith (right) - said she would stay."


def test_dateline_year_outside_news_years_is_a_warning():
    """A dateline dated 0001 keeps its place and credit; the date is dropped with a warning."""
    story = wire.parse(copy("BAKU, Jan 1, 0001 (AFP) - Text."))
    assert story.dateline == wire.Dateline("BAKU", None, "AFP")
    assert any("not a date of the calendar" in w for w in story.warnings)


@pytest.mark.parametrize(
    ("line", "place"),
    [
        ("NEW YORK (Reuters) - Text.", "NEW YORK"),
        ("SÃO PAULO (Reuters) — Text.", "SÃO PAULO"),
        ("ZÜRICH (Reuters) - Text.", "ZÜRICH"),
        ("PORT-AU-PRINCE (AFP) - Text.", "PORT-AU-PRINCE"),
        ("N'DJAMENA (AFP) - Text.", "N'DJAMENA"),
        ("ST. LOUIS (AP) - Text.", "ST. LOUIS"),
        ("KYIV, Ukraine (AP) — Text.", "KYIV, Ukraine"),
        ("RIO DE JANEIRO, Brazil (AP) – Text.", "RIO DE JANEIRO, Brazil"),
    ],
)
def test_dateline_places(line, place):
    """Places of several words, with accents, hyphens, apostrophes or a region, are kept."""
    story = wire.parse(copy(line))
    assert story.dateline.place == place
    assert story.dateline.date is None
    assert paragraphs(story)[0] == "Text."


def test_dateline_place_with_region_and_date():
    """ "KYIV, Ukraine, Sept 21 (AP) —" splits into place, date and credit."""
    story = wire.parse(copy("KYIV, Ukraine, Sept 21 (AP) — Text."))
    assert story.dateline == wire.Dateline("KYIV, Ukraine", date(2023, 9, 21), "AP")
    assert str(story.dateline) == "KYIV, Ukraine, Sept 21, 2023 (AP) -"


@pytest.mark.parametrize(
    "first",
    [
        "Moscow -- the power broker -- said it would help.",
        "Moscow - the power broker - said it would help.",
        "Baku - the capital - celebrated.",
        "The stunning collapse - a victory - was swift.",
        "Azerbaijan said Wednesday it had regained control.",
    ],
)
def test_sentences_with_dashes_are_not_datelines(first):
    """A paragraph that merely contains dashes is story text, kept whole."""
    story = wire.parse(copy(first))
    assert story.dateline is None
    assert paragraphs(story) == [first, "Second paragraph."]
    assert story.warnings == ("no dateline found (line 5)",)


def test_no_dateline_warns_and_keeps_the_paragraph():
    """Copy without a dateline gets dateline None and a warning naming the line."""
    story = wire.parse(copy("Azerbaijan said Wednesday.", stamp=None))
    assert story.dateline is None
    assert story.as_dict()["dateline"] is None
    assert story.warnings == (NO_TIMESTAMP, "no dateline found (line 3)")
    assert any("no dateline found" in w for w in story.warnings)
    assert paragraphs(story) == ["Azerbaijan said Wednesday.", "Second paragraph."]


# --- Dateline rendering -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dateline", "rendered"),
    [
        (wire.Dateline("BAKU"), "BAKU -"),
        (wire.Dateline("BAKU", credit="AFP"), "BAKU (AFP) -"),
        (wire.Dateline("BAKU", date(2023, 9, 21)), "BAKU, Sept 21, 2023 -"),
        (wire.Dateline("BAKU", date(2023, 9, 21), "BSS/AFP"), "BAKU, Sept 21, 2023 (BSS/AFP) -"),
        (wire.Dateline("KYIV, Ukraine", credit="AP"), "KYIV, Ukraine (AP) -"),
        (
            wire.Dateline("SÃO PAULO", date(2024, 1, 5), "Reuters"),
            "SÃO PAULO, Jan 5, 2024 (Reuters) -",
        ),
    ],
)
def test_dateline_rendering(dateline, rendered):
    """A dateline renders in the wire's own style, leaving out what it does not have."""
    assert str(dateline) == rendered


@pytest.mark.parametrize(("month", "abbreviation"), list(enumerate(MONTHS, start=1)))
def test_dateline_month_abbreviations(month, abbreviation):
    """Each month renders with the wire's abbreviation, and parses back to the same dateline."""
    dateline = wire.Dateline("BAKU", date(2023, month, 9), "AFP")
    assert str(dateline) == f"BAKU, {abbreviation} 9, 2023 (AFP) -"
    story = wire.parse(copy(f"{dateline} Text."))
    assert story.dateline == dateline
    assert paragraphs(story)[0] == "Text."


def test_dateline_as_dict():
    """Dateline.as_dict() gives ISO dates and None for what is missing."""
    assert wire.Dateline("BAKU", date(2023, 9, 21), "BSS/AFP").as_dict() == {
        "place": "BAKU",
        "date": "2023-09-21",
        "credit": "BSS/AFP",
    }
    assert wire.Dateline("BAKU").as_dict() == {"place": "BAKU", "date": None, "credit": None}
