"""Bytes to text, and the characters stored text must not contain.

:func:`decode` refuses binary data and names UTF-16 or UTF-32 text (what word processors
save as "Unicode text") so the user can save it again as UTF-8. :func:`unsafe_character`
and :func:`describe_character` are shared with the desk's forms, so copy and edited text
are held to the same rule.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from articles.wire.model import WireError

MAX_INPUT_BYTES = 1_000_000
"""A long wire story is 50 KB; anything past a megabyte is not a story."""

# What stored text must not contain: what XML 1.0 cannot carry (#x9 | #xA | #xD |
# [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF], so feeds and sitemaps break on the
# rest) and the C1 controls U+007F-U+009F, which no agency copy means to send.
_UNSAFE_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Byte order marks of the encodings a word processor saves "Unicode text" in, longest first
# (the UTF-32 little-endian mark starts with the UTF-16 one).
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_WIDE_BOMS = tuple(bom for bom, _, _ in _WIDE_ENCODINGS)
# How much of the copy to look at to tell UTF-16 or UTF-32 text from binary data, and the
# least there must be to tell without a BOM (a headline's worth: 8 UTF-16 characters).
_SNIFF_BYTES = 512
_SNIFF_MIN_BYTES = 16


def decode(data: bytes) -> str:
    """Bytes as they arrive (a file, an upload) to text, refusing what is not text."""
    if len(data) > MAX_INPUT_BYTES:
        raise WireError(
            f"input is {len(data):,} bytes; wire copy is at most {MAX_INPUT_BYTES:,} bytes"
        )
    nul = data.find(b"\x00")
    if nul != -1 or data.startswith(_WIDE_BOMS):
        encoding = _wide_encoding(data)
        if encoding is not None:
            raise WireError(f"{encoding} text: save it as UTF-8")
    if nul != -1:
        raise WireError(f"binary data, not text (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff")


def unsafe_character(text: str) -> tuple[int, str] | None:
    """The offset and character of the first character stored text must not contain.

    That is every character XML 1.0 cannot carry (C0 controls but tab, line feed and
    carriage return; surrogates; U+FFFE and U+FFFF) and the C1 controls U+007F-U+009F.
    ``None`` when there is none.
    """
    found = _UNSAFE_CHARACTER.search(text)
    return None if found is None else (found.start(), found[0])


def describe_character(char: str) -> str:
    """A short human name for one character, for a message: ``U+000B (a control character)``."""
    code = ord(char)
    number = f"U+{code:04X}"
    category = unicodedata.category(char)
    if category == "Cc":
        return f"{number} (a control character)"
    if category == "Cs":
        return f"{number} (an unpaired surrogate)"
    if code & 0xFFFE == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
        return f"{number} (not a character)"
    name = unicodedata.name(char, None)
    if name is not None:
        return f"{number} ({name})"
    if category == "Co":
        return f"{number} (a private-use character)"
    return f"{number} (an unassigned character)"


def refuse_unsafe_characters(text: str) -> None:
    """Refuse what :func:`unsafe_character` finds in normalised copy, form feeds aside."""
    found = unsafe_character(text.replace("\f", "\n"))
    if found is None:
        return
    offset, char = found
    line = text.count("\n", 0, offset) + 1
    category = unicodedata.category(char)
    if category == "Cs":
        raise WireError(f"not UTF-8 text (unpaired surrogate U+{ord(char):04X})", line=line)
    if category == "Cc":
        raise WireError(f"binary data, not text (control character U+{ord(char):04X})", line=line)
    raise WireError(f"not text we can publish: {describe_character(char)}", line=line)


def _wide_encoding(data: bytes) -> str | None:
    """Which of UTF-16 and UTF-32 ``data`` is text in, with or without a BOM; or None.

    Without a BOM, the start must read as text in the encoding, and its NUL bytes must fall
    as in text: they are the high bytes of the spaces, digits and punctuation that copy in
    any language has plenty of (mostly ASCII UTF-16 text has every other byte NUL), never
    both bytes of a character. PNG images, executables, random bytes and UTF-8 text with a
    stray NUL in it are not taken for text.
    """
    for bom, codec, name in _WIDE_ENCODINGS:
        if data.startswith(bom):
            rest = data[len(bom) : len(bom) + _SNIFF_BYTES]
            if _read_as_text(rest, codec) is not None:
                return name
    sample = data[:_SNIFF_BYTES]
    if len(sample) < _SNIFF_MIN_BYTES:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    for codec, name, parity in (
        ("utf-32-le", "UTF-32", True),
        ("utf-32-be", "UTF-32", True),
        # A NUL low byte is a character such as U+0100 or U+4E00: few beside the NUL high
        # bytes of ASCII characters.
        ("utf-16-le", "UTF-16", odd > 4 * even),
        ("utf-16-be", "UTF-16", even > 4 * odd),
    ):
        text = _read_as_text(sample, codec) if parity else None
        if text is not None and sum(char < "\x80" for char in text) >= max(4, len(text) / 8):
            return name
    return None


def _read_as_text(sample: bytes, codec: str) -> str | None:
    """``sample`` (perhaps cut short at the end) decoded in ``codec``, if it is text: no NUL
    characters, and nearly all printable or white space."""
    width = 4 if codec.startswith("utf-32") else 2
    sample = sample[: len(sample) - len(sample) % width]
    try:
        text = sample.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data":  # a surrogate pair cut in two at the end
            return None
        text = sample[: exc.start].decode(codec)
    if "\x00" in text:
        return None
    readable = sum(char.isprintable() or char in "\t\n\r\f" for char in text)
    return text if readable >= 0.95 * len(text) else None
