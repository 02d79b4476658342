"""The parser's limits: input size, headline length and the number of sections."""

import pytest

from articles import wire
from tests.wire.helpers import copy, paragraphs

# --- Size and headline length -----------------------------------------------------------------


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
