"""Input that is not wire copy: empty, binary, not UTF-8, UTF-16 or UTF-32; the WireError."""

import codecs
import random

import pytest

from articles import wire

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
