"""Parse agency wire copy into structured data: text in, dataclasses out.

A pure function from text to dataclasses: it imports nothing from Django, does no I/O and
reads no clock, so anything can call it (the services, the desk, the commands, the
benchmarks) and it is tested without a database. The shape it expects is the one agencies
send (see ``fixtures/source/`` for a real example)::

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

- ``model``: :class:`WireError`, the dataclasses (:class:`WireStory`, :class:`Dateline`,
  :class:`Section`) and :func:`checksum`, a copy's identity;
- ``text``: :func:`decode` (bytes to text, naming UTF-16 and UTF-32) and the characters
  stored text must not contain (:func:`unsafe_character`, :func:`describe_character`);
- ``dateline``: the timestamp line and the dateline;
- ``lifecycle``: which take of a story the copy is: headline prefixes (``UPDATE 2-``,
  ``CORRECTED-``, ``KILL -``), the editors' note and the embargo line;
- ``parser``: :func:`parse`, sections and :func:`suggest_tags`.
"""

from articles.wire.dateline import LOWER_CASE_CREDITS, YEARS
from articles.wire.lifecycle import KINDS, MAX_NOTE_CHARS
from articles.wire.model import WIRE_MONTHS, Dateline, Section, WireError, WireStory, checksum
from articles.wire.parser import (
    MAX_HEADLINE_CHARS,
    MAX_SECTIONS,
    MAX_SUBHEADING_CHARS,
    MAX_SUGGESTED_TAGS,
    parse,
    suggest_tags,
)
from articles.wire.text import MAX_INPUT_BYTES, decode, describe_character, unsafe_character

__all__ = [
    "KINDS",
    "LOWER_CASE_CREDITS",
    "MAX_HEADLINE_CHARS",
    "MAX_INPUT_BYTES",
    "MAX_NOTE_CHARS",
    "MAX_SECTIONS",
    "MAX_SUBHEADING_CHARS",
    "MAX_SUGGESTED_TAGS",
    "WIRE_MONTHS",
    "YEARS",
    "Dateline",
    "Section",
    "WireError",
    "WireStory",
    "checksum",
    "decode",
    "describe_character",
    "parse",
    "suggest_tags",
    "unsafe_character",
]
