"""The layout of agency copy: timestamps, subheadings, paragraphs, line endings, BOM, checksum."""

import hashlib
from datetime import date

import pytest

from articles import wire
from tests.wire.helpers import NO_TIMESTAMP, copy, outline, paragraphs


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
