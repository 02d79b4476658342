"""The wire parser: agency copy in, headline, dateline, sections and tags out.

Pure-function tests: no database and no Django settings are needed.
"""

import ast
import codecs
import hashlib
import json
import random
import subprocess
import sys
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from articles import wire

ROOT = Path(__file__).resolve().parents[2]
WIRE_PACKAGE = ROOT / "articles" / "wire"
SEED_PATH = ROOT / "fixtures" / "source" / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
SEED_HEADLINE = "Azerbaijan claims victory after Karabakh separatists surrender"
SEED_DATELINE_PREFIX = "BAKU, Sept 21, 2023 (BSS/AFP) - "
SEED_SUBHEADING_LINES = frozenset(
    {"- Truce deal -", "- 'War is over' -", "- International pressure -"}
)
SEED_LEFTOVER_LINES = ["• Latest News", "• Most View"]

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

NO_TIMESTAMP = "no timestamp line: publication time not given"


def copy(
    first: str = "BAKU, Sept 21, 2023 (AFP) - First paragraph.",
    *body: str,
    stamp: str | None = "21 Sep 2023, 09:55",
    headline: str = "Quake hits the capital",
) -> str:
    """Small wire copy: timestamp, headline, first paragraph, then ``body`` lines."""
    lines = [stamp, ""] if stamp is not None else []
    lines += [headline, "", first, *(body or ("Second paragraph.",))]
    return "\n".join(lines) + "\n"


def paragraphs(story: wire.WireStory) -> list[str]:
    """Every paragraph of the story, in order, whatever its section."""
    return [p for section in story.sections for p in section.paragraphs]


def outline(story: wire.WireStory) -> list[tuple[str | None, list[str]]]:
    """The sections as (subheading, paragraphs) pairs."""
    return [(s.subheading, list(s.paragraphs)) for s in story.sections]


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(seed_text) -> wire.WireStory:
    return wire.parse(seed_text, wire_tz="Asia/Dhaka")


# --- The seed ---------------------------------------------------------------------------------


def test_seed_headline(seed):
    """The seed's headline is its second line, exactly."""
    assert seed.headline == SEED_HEADLINE


def test_seed_published_at_is_the_timestamp_in_the_wire_time_zone(seed):
    """The timestamp line is read as 2023-09-21 09:55 in the wire time zone."""
    assert seed.published_at.isoformat() == "2023-09-21T09:55:00+06:00"
    assert seed.published_at == datetime(2023, 9, 21, 3, 55, tzinfo=UTC)


def test_seed_published_at_depends_on_the_wire_time_zone(seed, seed_text):
    """The same wall-clock time in another wire time zone is another instant."""
    in_utc = wire.parse(seed_text, wire_tz="UTC")
    assert in_utc.published_at.isoformat() == "2023-09-21T09:55:00+00:00"
    assert in_utc.published_at - seed.published_at == timedelta(hours=6)


def test_wire_tz_may_be_a_tzinfo(seed, seed_text):
    """A tzinfo object works the same as the zone's name."""
    story = wire.parse(seed_text, wire_tz=ZoneInfo("Asia/Dhaka"))
    assert story.published_at.isoformat() == seed.published_at.isoformat()


def test_seed_dateline_is_structured(seed):
    """The seed's dateline is place BAKU, date 2023-09-21, credit BSS/AFP."""
    assert seed.dateline == wire.Dateline(place="BAKU", date=date(2023, 9, 21), credit="BSS/AFP")
    assert str(seed.dateline) == "BAKU, Sept 21, 2023 (BSS/AFP) -"


def test_seed_sections(seed):
    """The seed has a lead and three subheaded sections of 9, 14, 10 and 4 paragraphs."""
    assert [(s.subheading, len(s.paragraphs)) for s in seed.sections] == [
        (None, 9),
        ("Truce deal", 14),
        ("'War is over'", 10),
        ("International pressure", 4),
    ]
    assert seed.paragraph_count == 37


def test_seed_first_paragraph_has_the_dateline_stripped(seed):
    """The lead's first paragraph starts after the dateline."""
    first = seed.sections[0].paragraphs[0]
    assert first.startswith("Azerbaijan said Wednesday it had regained control")
    assert "BAKU" not in first
    assert "BSS/AFP" not in first


def test_seed_every_story_line_is_kept_word_for_word_in_order(seed, seed_text):
    """Each story line of the seed is one paragraph, verbatim and in the same order."""
    lines = [line.strip() for line in seed_text.splitlines() if line.strip()]
    assert lines[:2] == ["21 Sep 2023, 09:55", SEED_HEADLINE]
    assert lines[-2:] == SEED_LEFTOVER_LINES
    expected = [line for line in lines[2:-2] if line not in SEED_SUBHEADING_LINES]
    assert expected[0].startswith(SEED_DATELINE_PREFIX)
    expected[0] = expected[0].removeprefix(SEED_DATELINE_PREFIX)
    assert len(expected) == 37
    assert paragraphs(seed) == expected


def test_seed_typos_are_kept(seed):
    """Copy is not corrected: the seed's "traditonal" survives."""
    assert paragraphs(seed)[13] == (
        "Moscow -- the traditonal regional power broker -- has said several members of its "
        "force in Karabakh were killed when their car came under fire."
    )


def test_seed_paragraphs_split_on_single_line_breaks(seed):
    """Lines separated by a single line break are separate paragraphs."""
    lead = seed.sections[0].paragraphs
    assert lead[6].startswith("He claimed that most of the Armenian forces")
    assert lead[7].startswith('The attack left "at least 200 killed')


def test_seed_website_leftovers_are_dropped(seed):
    """The trailing "• Latest News" / "• Most View" lines appear nowhere in the output."""
    dumped = json.dumps(seed.as_dict(), ensure_ascii=False)
    assert "Latest News" not in dumped
    assert "Most View" not in dumped
    assert "•" not in dumped
    assert paragraphs(seed)[-1].startswith('"As for the possibility that Armenia may')


def test_seed_as_dict_shape(seed):
    """as_dict() has exactly the parse_wire keys, with ISO dates and plain lists."""
    data = seed.as_dict()
    assert list(data) == ["headline", "published_at", "dateline", "sections", "tags"]
    assert data["headline"] == SEED_HEADLINE
    assert data["published_at"] == "2023-09-21T09:55:00+06:00"
    assert data["dateline"] == {"place": "BAKU", "date": "2023-09-21", "credit": "BSS/AFP"}
    assert [list(s) for s in data["sections"]] == [["subheading", "paragraphs"]] * 4
    assert data["sections"][0]["subheading"] is None
    assert data["sections"][1]["subheading"] == "Truce deal"
    assert data["sections"][3]["paragraphs"] == list(seed.sections[3].paragraphs)
    assert data["tags"] == list(seed.tags)


def test_seed_as_dict_is_json_serialisable(seed):
    """as_dict() survives a JSON round trip unchanged."""
    data = seed.as_dict()
    assert json.loads(json.dumps(data)) == data


def test_seed_has_no_warnings(seed):
    """The seed parses cleanly."""
    assert seed.warnings == ()


def test_seed_suggested_tags(seed):
    """Suggested tags include the story's main names, and no more than the maximum."""
    assert {"Azerbaijan", "Armenia", "Nagorno-Karabakh"} <= set(seed.tags)
    assert seed.tags[0] == "Azerbaijan"
    assert len(seed.tags) <= wire.MAX_SUGGESTED_TAGS
    assert not {"Wednesday", "The", "President", "Sept"} & set(seed.tags)


def test_seed_source_text_and_checksum(seed, seed_text):
    """The verbatim copy is kept, and its checksum is the SHA-256 of the file."""
    assert seed.source_text == seed_text
    assert seed.checksum == hashlib.sha256(SEED_PATH.read_bytes()).hexdigest()
    assert seed.checksum == wire.checksum(seed_text)


def test_seed_as_bytes_parses_the_same(seed):
    """The seed file's bytes parse to the same story as its text."""
    story = wire.parse(SEED_PATH.read_bytes(), wire_tz="Asia/Dhaka")
    assert story == seed


# --- Variants of agency copy ------------------------------------------------------------------


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


@pytest.mark.parametrize("stamp", ["31 Feb 2023, 09:55", "21 Sep 2023, 25:00"])
def test_impossible_timestamp_is_an_error_not_a_headline(stamp):
    """A timestamp line that names no real time is refused, naming the line."""
    with pytest.raises(wire.WireError) as caught:
        wire.parse(f"{stamp}\n\nHeadline\n\nBAKU (AFP) - Text.\n")
    assert str(caught.value) == f"line 1: timestamp {stamp!r} is not a real date and time"


@pytest.mark.parametrize("stamp", ["1 Jan 0001, 00:30", "31 Dec 9999, 23:59"])
def test_timestamp_outside_news_years_is_refused(stamp):
    """Year 1 or 9999 is a typo, refused before it can overflow a conversion to UTC."""
    with pytest.raises(wire.WireError, match="years 1900-2100") as caught:
        wire.parse(f"{stamp}\n\nHeadline\n\nBAKU (AFP) - Text.\n", wire_tz="Asia/Dhaka")
    assert caught.value.line == 1


def test_dateline_year_outside_news_years_is_a_warning():
    """A dateline dated 0001 keeps its place and credit; the date is dropped with a warning."""
    story = wire.parse(copy("BAKU, Jan 1, 0001 (AFP) - Text."))
    assert story.dateline == wire.Dateline("BAKU", None, "AFP")
    assert any("not a date of the calendar" in w for w in story.warnings)


@pytest.mark.parametrize(
    "line",
    [
        "- Truce deal -",
        "– Truce deal –",
        "— Truce deal —",
        "-- Truce deal --",
        "-Truce deal-",
        "  - Truce deal -  ",
    ],
)
def test_subheading_dashes(line):
    """A line wrapped in hyphens, en or em dashes is a subheading, without its dashes."""
    story = wire.parse(copy("BAKU (AFP) - Lead.", line, "Under the truce."))
    assert outline(story) == [(None, ["Lead."]), ("Truce deal", ["Under the truce."])]
    assert story.warnings == ()


def test_subheading_keeps_inner_punctuation():
    """Quotes and inner dashes inside a subheading are kept."""
    story = wire.parse(copy("BAKU (AFP) - Lead.", "- 'War is over' - for now -", "Text."))
    assert outline(story) == [(None, ["Lead."]), ("'War is over' - for now", ["Text."])]


def test_subheading_without_paragraphs_warns():
    """A subheading directly followed by another one is kept, with a warning."""
    story = wire.parse(copy("BAKU (AFP) - Lead.", "- Empty -", "- Full -", "Text."))
    assert outline(story) == [(None, ["Lead."]), ("Empty", []), ("Full", ["Text."])]
    assert story.warnings == ("subheading 'Empty' (line 6) has no paragraphs",)


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


def test_no_timestamp_line():
    """Without a timestamp line the first line is the headline and published_at is None."""
    story = wire.parse(copy(stamp=None))
    assert story.headline == "Quake hits the capital"
    assert story.published_at is None
    assert story.as_dict()["published_at"] is None
    assert story.dateline == wire.Dateline("BAKU", date(2023, 9, 21), "AFP")
    assert story.warnings == (NO_TIMESTAMP,)


@pytest.mark.parametrize(
    "stamp",
    [
        "21 Sep 2023, 09:55",
        "21 Sep 2023 09:55",
        "21 September 2023, 09:55",
        "21 sep. 2023, 09:55",
        "Sep 21, 2023, 09:55",
        "Sept 21, 2023 09:55",
        "2023-09-21 09:55",
        "2023-09-21T09:55",
        "2023-09-21 09:55:30",
    ],
)
def test_timestamp_forms(stamp):
    """The common timestamp layouts are all read to the minute."""
    story = wire.parse(copy(stamp=stamp), wire_tz="Asia/Dhaka")
    assert story.published_at.isoformat() == "2023-09-21T09:55:00+06:00"
    assert story.headline == "Quake hits the capital"
    assert story.warnings == ()


def test_no_subheadings_gives_one_lead_section():
    """Copy without subheadings is a single lead section."""
    story = wire.parse(copy("BAKU (AFP) - One.", "Two.", "Three."))
    assert outline(story) == [(None, ["One.", "Two.", "Three."])]


def test_blank_lines_and_single_line_breaks_both_separate_paragraphs():
    """Paragraphs split the same with or without blank lines between them."""
    tight = wire.parse(copy("BAKU (AFP) - One.", "Two.", "- Sub -", "Three."))
    loose = wire.parse(copy("BAKU (AFP) - One.", "", "Two.", "", "- Sub -", "", "", "Three."))
    assert outline(tight) == outline(loose) == [(None, ["One.", "Two."]), ("Sub", ["Three."])]


def test_paragraphs_are_stripped_of_surrounding_whitespace():
    """Indentation and trailing spaces around a line are not part of the paragraph."""
    story = wire.parse(copy("BAKU (AFP) - One.  ", "\t  Two, indented.   "))
    assert paragraphs(story) == ["One.", "Two, indented."]


def test_only_trailing_website_leftovers_are_dropped():
    """Bullet lines at the end are dropped; the story before them is complete."""
    story = wire.parse(copy("BAKU (AFP) - One.", "Two.", "", "  • Latest News", "  • Most View"))
    assert paragraphs(story) == ["One.", "Two."]


def test_crlf_line_endings_give_the_same_story():
    """CRLF copy parses exactly like LF copy and has the same checksum."""
    lf = copy("BAKU (AFP) - One.", "- Sub -", "Two.")
    crlf = lf.replace("\n", "\r\n")
    assert "\r\n" in crlf
    assert wire.parse(crlf).as_dict() == wire.parse(lf).as_dict()
    assert wire.parse(crlf).warnings == wire.parse(lf).warnings
    assert wire.parse(crlf).checksum == wire.parse(lf).checksum == wire.checksum(lf)
    assert wire.parse(crlf).source_text == crlf


def test_crlf_seed_gives_the_same_story(seed, seed_text):
    """The seed with CRLF line endings, as text or bytes, is the same story."""
    crlf = seed_text.replace("\n", "\r\n")
    for data in (crlf, crlf.encode("utf-8")):
        story = wire.parse(data, wire_tz="Asia/Dhaka")
        assert story.as_dict() == seed.as_dict()
        assert story.checksum == seed.checksum
        assert story.warnings == ()


def test_bare_cr_line_endings_give_the_same_story():
    """Old Mac-style CR line endings are line breaks too."""
    lf = copy("BAKU (AFP) - One.", "Two.")
    cr = lf.replace("\n", "\r")
    assert wire.parse(cr).as_dict() == wire.parse(lf).as_dict()
    assert wire.parse(cr).checksum == wire.parse(lf).checksum


@pytest.mark.parametrize(
    "with_bom",
    [
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"), id="bytes"),
        pytest.param(lambda text: "\ufeff" + text, id="str"),
    ],
)
def test_bom_is_ignored(with_bom):
    """A UTF-8 byte order mark changes neither the story nor its checksum."""
    text = copy("BAKU (AFP) - One.", "Two.")
    story = wire.parse(with_bom(text))
    plain = wire.parse(text)
    assert story.as_dict() == plain.as_dict()
    assert story.headline == "Quake hits the capital"
    assert story.published_at == plain.published_at
    assert story.warnings == ()
    assert story.checksum == plain.checksum == wire.checksum(text)
    assert story.source_text == text


def test_bom_on_the_seed_is_ignored(seed, seed_text):
    """The seed with a BOM is the same story with the same checksum."""
    story = wire.parse(b"\xef\xbb\xbf" + seed_text.encode("utf-8"), wire_tz="Asia/Dhaka")
    assert story == seed


def test_bytes_input_works():
    """UTF-8 bytes parse to the same story as the text, accents included."""
    text = copy("SÃO PAULO (Reuters) — Texto em português.", "Ação.")
    story = wire.parse(text.encode("utf-8"))
    assert story == wire.parse(text)
    assert story.dateline == wire.Dateline("SÃO PAULO", None, "Reuters")
    assert paragraphs(story) == ["Texto em português.", "Ação."]


def test_checksum_normalises_line_endings_and_bom():
    """checksum() is the same for LF, CRLF, CR and BOM variants, and differs for other text."""
    assert (
        wire.checksum("a\nb\n")
        == wire.checksum("a\r\nb\r\n")
        == wire.checksum("a\rb\r")
        == wire.checksum("\ufeffa\nb\n")
        == hashlib.sha256(b"a\nb\n").hexdigest()
    )
    assert wire.checksum("a\nb\n") != wire.checksum("a\nb")


def test_parsing_is_deterministic():
    """The same copy always gives an equal story."""
    text = copy("BAKU (AFP) - One.", "- Sub -", "Two.")
    assert wire.parse(text) == wire.parse(text)


def test_headline_at_the_length_limit_is_accepted():
    """A headline of exactly MAX_HEADLINE_CHARS characters is still a headline."""
    headline = "H" * wire.MAX_HEADLINE_CHARS
    assert wire.parse(copy(headline=headline)).headline == headline


def test_input_at_the_size_limit_is_accepted():
    """Copy of exactly MAX_INPUT_BYTES bytes is parsed."""
    text = copy("BAKU (AFP) - One.")
    text += "x" * (wire.MAX_INPUT_BYTES - len(text.encode("utf-8")))
    assert len(text.encode("utf-8")) == wire.MAX_INPUT_BYTES
    assert paragraphs(wire.parse(text.encode("utf-8")))[0] == "One."
    assert paragraphs(wire.parse(text))[0] == "One."


# --- Rejections -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        pytest.param(b"", "empty input: no text to parse", None, id="empty-bytes"),
        pytest.param("", "empty input: no text to parse", None, id="empty-str"),
        pytest.param(" \n\t\n  \r\n", "empty input: no text to parse", None, id="whitespace"),
        pytest.param("\ufeff", "empty input: no text to parse", None, id="bom-only-str"),
        pytest.param(b"\xef\xbb\xbf\n", "empty input: no text to parse", None, id="bom-only"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "binary data, not text (NUL byte at offset 8)",
            None,
            id="png",
        ),
        pytest.param(
            b"Headline\n\nText\x00more",
            "binary data, not text (NUL byte at offset 14)",
            None,
            id="nul-byte",
        ),
        pytest.param(b"\xff\xfeH\x00", "UTF-16 text: save it as UTF-8", None, id="utf-16"),
        pytest.param(
            "Headline\n\nS\u00c3O PAULO (Reuters) - Text".encode("latin-1"),
            "not UTF-8 text (byte 0xc3 at offset 11)",
            None,
            id="latin-1",
        ),
        pytest.param(
            b"Headline\n\nText \xe2\x80",
            "not UTF-8 text (byte 0xe2 at offset 15)",
            None,
            id="truncated-utf-8",
        ),
        pytest.param(
            "Headline\n\nText with a bell\x07",
            "line 3: binary data, not text (control character U+0007)",
            3,
            id="bell",
        ),
        pytest.param(
            "Head\x1b[1mline\n\nText",
            "line 1: binary data, not text (control character U+001B)",
            1,
            id="escape",
        ),
        pytest.param(
            "Headline\r\n\r\nOne\r\nTwo\x7f\r\n",
            "line 4: binary data, not text (control character U+007F)",
            4,
            id="delete-crlf",
        ),
        pytest.param(
            "Headline\n\nText \ud800",
            "line 3: not UTF-8 text (unpaired surrogate U+D800)",
            3,
            id="surrogate",
        ),
        pytest.param(
            "Headline\n\nOne\nTwo\uffff",
            "line 4: not text we can publish: U+FFFF (not a character)",
            4,
            id="non-character",
        ),
        pytest.param(
            "Headline\n\nOne\fTwo\nThree\x0b",
            "line 4: binary data, not text (control character U+000B)",
            4,
            id="vertical-tab-after-form-feed",
        ),
        pytest.param(
            "21 Sep 2023, 09:55\n\nBAKU, Sept 21, 2023 (BSS/AFP) - Azerbaijan said Wednesday.",
            "line 3: no headline: the copy starts with a dateline paragraph",
            3,
            id="dateline-first",
        ),
        pytest.param(
            "BAKU (AFP) - Azerbaijan said Wednesday.\nMore.",
            "line 1: no headline: the copy starts with a dateline paragraph",
            1,
            id="dateline-first-no-timestamp",
        ),
        pytest.param(
            "21 Sep 2023, 09:55\n\nQuake hits the capital\n",
            "line 3: no story text after the headline",
            3,
            id="headline-only",
        ),
        pytest.param(
            "Quake hits the capital\n\n  • Latest News\n  • Most View",
            "line 1: no story text after the headline",
            1,
            id="headline-and-leftovers",
        ),
        pytest.param(
            "\n21 Sep 2023, 09:55\n\n",
            "line 2: no headline after the timestamp",
            2,
            id="timestamp-only",
        ),
        pytest.param(
            "\n  • Latest News\n  • Most View\n",
            "no story text, only website leftovers",
            None,
            id="leftovers-only",
        ),
        pytest.param(
            "H" * (wire.MAX_HEADLINE_CHARS + 1) + "\n\nText.",
            f"line 1: no headline: the first line is {wire.MAX_HEADLINE_CHARS + 1:,} characters "
            f"long (a headline has at most {wire.MAX_HEADLINE_CHARS})",
            1,
            id="headline-too-long",
        ),
    ],
)
def test_rejections(data, message, line):
    """Input that is not wire copy raises WireError with a one-line message naming it."""
    with pytest.raises(wire.WireError) as caught:
        wire.parse(data)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)
    assert caught.value.line == line


def test_oversized_bytes_are_rejected():
    """Bytes over MAX_INPUT_BYTES are refused, naming the size and the limit."""
    with pytest.raises(wire.WireError) as caught:
        wire.parse(b"x" * (wire.MAX_INPUT_BYTES + 1))
    assert str(caught.value) == "input is 1,000,001 bytes; wire copy is at most 1,000,000 bytes"
    assert "\n" not in str(caught.value)


def test_oversized_text_is_rejected_by_its_utf8_size():
    """Text whose UTF-8 encoding is over MAX_INPUT_BYTES is refused, even if few characters."""
    text = copy("BAKU (AFP) - One.", "é" * (wire.MAX_INPUT_BYTES // 2))
    assert len(text) < wire.MAX_INPUT_BYTES < len(text.encode("utf-8"))
    with pytest.raises(wire.WireError) as caught:
        wire.parse(text)
    assert str(caught.value) == "input is over 1,000,000 bytes; that is not one story"
    assert "\n" not in str(caught.value)


def test_decode_rejects_like_parse():
    """decode() refuses non-text bytes and strips a BOM from text."""
    assert wire.decode(b"\xef\xbb\xbfBAKU") == "BAKU"
    assert wire.decode("SÃO".encode()) == "SÃO"
    with pytest.raises(wire.WireError, match=r"^binary data, not text \(NUL byte at offset 1\)$"):
        wire.decode(b"a\x00")


def test_wire_error_is_a_value_error_with_message_and_line():
    """WireError carries the bare message and the line separately."""
    with pytest.raises(ValueError) as caught:
        wire.parse("21 Sep 2023, 09:55\n\nQuake hits the capital")
    assert isinstance(caught.value, wire.WireError)
    assert caught.value.message == "no story text after the headline"
    assert caught.value.line == 3


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


# --- UTF-16 and UTF-32 ------------------------------------------------------------------------

QUAKE = "Quake hits the capital\n\nLIMA (AFP) - A strong quake struck on Monday.\n"
RUSSIAN = "Землетрясение в столице\n\nМОСКВА, 21 сентября (ТАСС) - Сильное землетрясение.\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(QUAKE.encode("utf-16"), "UTF-16 text: save it as UTF-8", id="utf-16-bom"),
        pytest.param(
            codecs.BOM_UTF16_BE + QUAKE.encode("utf-16-be"),
            "UTF-16 text: save it as UTF-8",
            id="utf-16-be-bom",
        ),
        pytest.param(QUAKE.encode("utf-16-le"), "UTF-16 text: save it as UTF-8", id="utf-16-le"),
        pytest.param(QUAKE.encode("utf-16-be"), "UTF-16 text: save it as UTF-8", id="utf-16-be"),
        pytest.param(RUSSIAN.encode("utf-16-le"), "UTF-16 text: save it as UTF-8", id="ru-le"),
        pytest.param(RUSSIAN.encode("utf-16"), "UTF-16 text: save it as UTF-8", id="ru-bom"),
        pytest.param(b"\xff\xfe", "UTF-16 text: save it as UTF-8", id="utf-16-bom-only"),
        pytest.param(QUAKE.encode("utf-32"), "UTF-32 text: save it as UTF-8", id="utf-32-bom"),
        pytest.param(
            codecs.BOM_UTF32_BE + QUAKE.encode("utf-32-be"),
            "UTF-32 text: save it as UTF-8",
            id="utf-32-be-bom",
        ),
        pytest.param(QUAKE.encode("utf-32-le"), "UTF-32 text: save it as UTF-8", id="utf-32-le"),
        pytest.param(QUAKE.encode("utf-32-be"), "UTF-32 text: save it as UTF-8", id="utf-32-be"),
    ],
)
def test_utf16_and_utf32_copy_is_refused_with_a_hint(data, message):
    """UTF-16 or UTF-32 copy, with a BOM or without, is named as such, not as binary data."""
    for read in (wire.decode, wire.parse):
        with pytest.raises(wire.WireError) as caught:
            read(data)
        assert str(caught.value) == message
        assert caught.value.line is None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_seed_in_utf16_or_utf32_is_refused_with_a_hint(seed_text, encoding):
    """The real seed saved as UTF-16 or UTF-32 is named as such."""
    expected = f"{encoding[:6].upper()} text: save it as UTF-8"
    with pytest.raises(wire.WireError, match=f"^{expected}$"):
        wire.parse(seed_text.encode(encoding))


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06"
            + bytes(range(256)) * 2,
            8,
            id="png",
        ),
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + bytes(600), 7, id="elf"),
        pytest.param(
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(200)), 3, id="gzip"
        ),
        pytest.param(bytes(64), 0, id="all-nul"),
        pytest.param(b"\x01\x00\x02\x00" * 40, 1, id="control-characters-in-utf-16"),
        pytest.param(b"a\x00", 1, id="too-short-to-tell"),
        pytest.param(QUAKE.encode() + b"\x00" + QUAKE.encode(), len(QUAKE.encode()), id="nul"),
        pytest.param(
            b"Headline\n\n" + b"Text\x00" * 40, len(b"Headline\n\nText"), id="regular-nuls"
        ),
    ],
)
def test_binary_data_with_nul_bytes_is_still_binary(data, offset):
    """Bytes with NULs that are not UTF-16 or UTF-32 text keep the binary-data message."""
    with pytest.raises(wire.WireError) as caught:
        wire.decode(data)
    assert str(caught.value) == f"binary data, not text (NUL byte at offset {offset})"


def test_random_bytes_are_binary_not_utf16():
    """Random bytes with NULs in them are binary data, whatever their length."""
    rng = random.Random(20230921)
    for _ in range(2000):
        data = rng.randbytes(rng.choice([16, 64, 600, 4096])) + b"\x00"
        with pytest.raises(wire.WireError, match=r"^binary data, not text \(NUL byte"):
            wire.decode(data)


def test_utf16_bom_before_binary_data_is_not_text():
    """A UTF-16 BOM followed by what is not UTF-16 text is not called UTF-16."""
    with pytest.raises(wire.WireError, match=r"^binary data, not text \(NUL byte at offset 2\)$"):
        wire.decode(b"\xff\xfe\x00\x00\x00\x00\x00\x00\x01\x00")
    with pytest.raises(wire.WireError, match=r"^not UTF-8 text \(byte 0xff at offset 0\)$"):
        wire.decode(b"\xff\xfe\xd8\xd8\xd8\xd8")


# --- Characters feeds cannot carry ------------------------------------------------------------


def test_unsafe_character_is_exactly_what_xml_cannot_carry_and_c1_controls():
    """unsafe_character finds exactly the characters outside XML 1.0's Char production, and
    U+007F-U+009F; every other character of Unicode passes."""

    def xml_char(code: int) -> bool:
        return (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        )

    found = {code for code in range(0x110000) if wire.unsafe_character(chr(code))}
    expected = {code for code in range(0x110000) if not xml_char(code) or 0x7F <= code <= 0x9F}
    assert found == expected
    # The same as what the parser refused before, but form feed, plus U+FFFE and U+FFFF.
    assert {chr(c) for c in found} == {
        char
        for char in map(chr, range(0x110000))
        if unicodedata.category(char) == "Cs"
        or (unicodedata.category(char) == "Cc" and char not in "\t\n\r")
        or char in "\ufffe\uffff"
    }


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", None),
        ("Tab\tand CRLF\r\nand LF\n", None),
        ("SÃO PAULO – “quoted” é 😀 \ufffd \ufeff \u2028 \U0010fffd \U0010ffff", None),
        ("ab\x0bcd\x07", (2, "\x0b")),
        ("page\x0cbreak", (4, "\x0c")),
        ("\x85next line", (0, "\x85")),
        ("end\uffff", (3, "\uffff")),
        ("a\ufffeb\x00", (1, "\ufffe")),
        ("lone \udc00 surrogate", (5, "\udc00")),
    ],
)
def test_unsafe_character_gives_the_first_offset_and_character(text, found):
    """unsafe_character gives the offset and character of the first unsafe one, or None."""
    assert wire.unsafe_character(text) == found


def test_unsafe_character_finds_the_one_bad_character_after_a_megabyte():
    """A megabyte of clean text passes, and one U+FFFF at its end is found."""
    text = ("Azerbaijan said Wednesday it had restored sovereignty. é “” 😀\n" * 16_000)[
        :1_000_000
    ]
    assert wire.unsafe_character(text) is None
    assert wire.unsafe_character(text + "\uffff") == (len(text), "\uffff")


@pytest.mark.parametrize(
    ("char", "description"),
    [
        ("\x00", "U+0000 (a control character)"),
        ("\x0b", "U+000B (a control character)"),
        ("\x0c", "U+000C (a control character)"),
        ("\x85", "U+0085 (a control character)"),
        ("\uffff", "U+FFFF (not a character)"),
        ("\ufffe", "U+FFFE (not a character)"),
        ("\ufdd0", "U+FDD0 (not a character)"),
        ("\U0010ffff", "U+10FFFF (not a character)"),
        ("\ud800", "U+D800 (an unpaired surrogate)"),
        ("\udfff", "U+DFFF (an unpaired surrogate)"),
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("é", "U+00E9 (LATIN SMALL LETTER E WITH ACUTE)"),
        ("\U0001f600", "U+1F600 (GRINNING FACE)"),
        ("\ue000", "U+E000 (a private-use character)"),
        ("\u0378", "U+0378 (an unassigned character)"),
    ],
)
def test_describe_character(char, description):
    """describe_character gives the code point and a short name for a message."""
    assert wire.describe_character(char) == description


@pytest.mark.parametrize(
    ("char", "message"),
    [
        ("\x00", "binary data, not text (control character U+0000)"),
        ("\x07", "binary data, not text (control character U+0007)"),
        ("\x0b", "binary data, not text (control character U+000B)"),
        ("\x1f", "binary data, not text (control character U+001F)"),
        ("\x7f", "binary data, not text (control character U+007F)"),
        ("\x9f", "binary data, not text (control character U+009F)"),
        ("\ud800", "not UTF-8 text (unpaired surrogate U+D800)"),
        ("\udfff", "not UTF-8 text (unpaired surrogate U+DFFF)"),
        ("\ufffe", "not text we can publish: U+FFFE (not a character)"),
        ("\uffff", "not text we can publish: U+FFFF (not a character)"),
    ],
)
def test_unpublishable_characters_are_refused_naming_line_and_character(char, message):
    """Every character unsafe_character finds is refused, naming its line and itself."""
    text = copy("BAKU (AFP) - One.", "Two.", f"Three{char}.")
    with pytest.raises(wire.WireError) as caught:
        wire.parse(text)
    assert str(caught.value) == f"line 7: {message}"
    assert caught.value.line == 7


def test_noncharacter_in_the_headline_is_refused():
    """U+FFFF anywhere, the headline too, is refused with the line it is on."""
    with pytest.raises(wire.WireError) as caught:
        wire.parse(copy(headline="Quake\uffff hits"))
    assert str(caught.value) == "line 3: not text we can publish: U+FFFF (not a character)"


def test_tab_and_characters_xml_carries_are_kept():
    """Tabs, non-breaking spaces, U+FFFD and astral characters are kept in paragraphs."""
    story = wire.parse(copy("BAKU (AFP) - One\ttwo.", "Three\u00a0four \ufffd 😀 \U0010fffd."))
    assert paragraphs(story) == ["One\ttwo.", "Three\u00a0four \ufffd 😀 \U0010fffd."]


def test_form_feed_separates_paragraphs():
    """A form feed (a teletype page break) ends a paragraph like a line break."""
    story = wire.parse(copy("BAKU (AFP) - para one\fpara two", "para three\f"))
    assert paragraphs(story) == ["para one", "para two", "para three"]
    assert story.warnings == ()


def test_form_feed_separates_headline_subheadings_and_paragraphs():
    """Whatever a form feed stands between is split as if by a line break."""
    text = "21 Sep 2023, 09:55\fQuake hits\f\fBAKU (AFP) - One.\f- Sub -\fTwo.\n"
    story, lines = wire.parse(text), wire.parse(text.replace("\f", "\n"))
    assert story.as_dict() == lines.as_dict()
    assert story.headline == "Quake hits"
    assert story.dateline == wire.Dateline("BAKU", credit="AFP")
    assert outline(story) == [(None, ["One."]), ("Sub", ["Two."])]


def test_form_feed_keeps_source_text_and_checksum():
    """Copy with form feeds keeps its text verbatim and the checksum it was imported with."""
    text = copy("BAKU (AFP) - para one\fpara two", "\f", "para three")
    story = wire.parse(text)
    assert story.source_text == text
    assert story.checksum == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert story.checksum != wire.checksum(text.replace("\f", "\n"))
    crlf = text.replace("\n", "\r\n")
    assert wire.parse(crlf).checksum == story.checksum


def test_form_feed_does_not_shift_line_numbers():
    """Lines are numbered by real line breaks: the editor's numbers, not the form feeds'."""
    text = "Headline\n\nBAKU (AFP) - One.\fTwo.\fThree.\nFour.\x07\n"
    with pytest.raises(wire.WireError) as caught:
        wire.parse(text)
    assert str(caught.value) == "line 4: binary data, not text (control character U+0007)"
    story = wire.parse(copy("BAKU (AFP) - Lead.\f- Empty -\f- Full -", "Text."))
    assert story.warnings == ("subheading 'Empty' (line 5) has no paragraphs",)


# --- Section limit ----------------------------------------------------------------------------


def sectioned(subheadings: int, *, lead: bool = True, empty: bool = False) -> str:
    """Copy with a lead paragraph (unless not ``lead``), then ``subheadings`` subheadings,
    each with one paragraph (none when ``empty``)."""
    lines = ["Headline", ""] + (["BAKU (AFP) - Lead."] if lead else [])
    for n in range(1, subheadings + 1):
        lines += [f"- Section {n} -"] + ([] if empty else [f"Paragraph {n}."])
    return "\n".join(lines) + "\n"


def line_of(text: str, line: str) -> int:
    """The number of the first line of ``text`` that is ``line``."""
    return text.split("\n").index(line) + 1


def test_a_lead_and_max_sections_minus_one_subheadings_are_accepted():
    """MAX_SECTIONS sections, the lead counted as one, is not too many."""
    story = wire.parse(sectioned(wire.MAX_SECTIONS - 1))
    assert len(story.sections) == wire.MAX_SECTIONS == 100
    assert story.sections[0] == wire.Section(None, ("Lead.",))
    assert story.sections[-1] == wire.Section("Section 99", ("Paragraph 99.",))


def test_one_section_too_many_is_refused_naming_count_limit_and_line():
    """The lead and MAX_SECTIONS subheadings are refused at the subheading past the limit."""
    text = sectioned(wire.MAX_SECTIONS)
    with pytest.raises(wire.WireError) as caught:
        wire.parse(text)
    line = line_of(text, "- Section 100 -")
    assert str(caught.value) == (
        f"line {line}: 101 sections; a story has at most 100 (the lead and 99 subheadings)"
    )
    assert caught.value.line == line


def test_without_a_lead_max_sections_subheadings_are_the_limit():
    """Copy with no lead may have MAX_SECTIONS subheadings, and no more."""
    story = wire.parse(sectioned(wire.MAX_SECTIONS, lead=False))
    assert len(story.sections) == wire.MAX_SECTIONS
    assert story.sections[0].subheading == "Section 1"
    text = sectioned(wire.MAX_SECTIONS + 1, lead=False)
    with pytest.raises(wire.WireError) as caught:
        wire.parse(text)
    line = line_of(text, "- Section 101 -")
    assert str(caught.value) == f"line {line}: 101 sections; a story has at most 100"


def test_subheadings_without_paragraphs_count_as_sections():
    """A subheading with no paragraphs is a section like any other for the limit."""
    assert len(wire.parse(sectioned(99, empty=True)).sections) == 100
    text = sectioned(150, empty=True)
    with pytest.raises(wire.WireError) as caught:
        wire.parse(text)
    assert str(caught.value) == (
        f"line {line_of(text, '- Section 100 -')}: 151 sections; "
        "a story has at most 100 (the lead and 99 subheadings)"
    )


def test_dash_lines_that_are_paragraphs_do_not_count():
    """Lines too long for a subheading, and trailing website leftovers, are not sections."""
    long = "- " + "x" * (wire.MAX_SUBHEADING_CHARS + 1) + " -"
    text = sectioned(99).replace("Paragraph 5.", "\n".join([long] * 200))
    text += "  • Latest News\n" * 200
    assert len(wire.parse(text).sections) == 100


def test_ten_thousand_subheadings_are_refused():
    """10,000 sections are refused and counted exactly (benchmarks/ times the refusal)."""
    text = sectioned(9_999, empty=True)
    with pytest.raises(wire.WireError) as caught:
        wire.parse(text)
    assert str(caught.value) == (
        f"line {line_of(text, '- Section 100 -')}: 10,000 sections; "
        "a story has at most 100 (the lead and 99 subheadings)"
    )


def test_a_megabyte_of_subheadings_is_refused():
    """Copy at the size limit that is all subheadings (a quarter of a million) is refused,
    counted exactly."""
    text = "Headline\n\n" + "-a-\n" * ((wire.MAX_INPUT_BYTES - 10) // 4)
    assert len(text.encode()) <= wire.MAX_INPUT_BYTES
    with pytest.raises(wire.WireError) as caught:
        wire.parse(text)
    assert str(caught.value) == "line 103: 249,997 sections; a story has at most 100"


# --- A pure package -----------------------------------------------------------------------------


def django_imports(source: str) -> list[str]:
    """The modules from Django that ``source`` imports, by its import statements."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [name for name in names if name.split(".")[0] == "django"]
    return found


def test_the_import_scan_finds_django():
    """The scan below would notice ``import django`` and ``from django... import``."""
    source = "import os, django.utils\nfrom django.conf import settings\nfrom . import x\n"
    assert django_imports(source) == ["django.utils", "django.conf"]


def test_the_wire_package_has_no_django_import_statements():
    """No module of ``articles/wire/`` imports Django, so the parser stays a pure function."""
    modules = sorted(WIRE_PACKAGE.glob("*.py"))
    assert {path.name for path in modules} >= {"__init__.py", "parser.py"}
    found = {
        path.name: names
        for path in modules
        if (names := django_imports(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.slow
def test_importing_the_wire_package_loads_no_django():
    """A fresh interpreter that imports ``articles.wire`` has loaded no Django module."""
    script = (
        "import sys; import articles.wire; "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(loaded); assert not loaded"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "[]"
