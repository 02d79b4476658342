"""Characters feeds cannot carry, refused by line and name; tabs and form feeds kept as text."""

import hashlib
import unicodedata

import pytest

from articles import wire
from tests.wire.helpers import copy, outline, paragraphs


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
