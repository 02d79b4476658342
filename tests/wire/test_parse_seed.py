"""The seed AFP story parsed, and the same copy with CRLF, a BOM, or in UTF-16 or UTF-32."""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from articles import wire
from tests.wire.helpers import ROOT, paragraphs

SEED_PATH = ROOT / "fixtures" / "source" / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
SEED_HEADLINE = "Azerbaijan claims victory after Karabakh separatists surrender"
SEED_DATELINE_PREFIX = "BAKU, Sept 21, 2023 (BSS/AFP) - "
SEED_SUBHEADING_LINES = frozenset(
    {"- Truce deal -", "- 'War is over' -", "- International pressure -"}
)
SEED_LEFTOVER_LINES = ["• Latest News", "• Most View"]


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
    assert list(data) == [
        "headline",
        "published_at",
        "dateline",
        "sections",
        "tags",
        "kind",
        "revision",
        "note",
        "embargo",
    ]
    assert (data["kind"], data["revision"], data["note"], data["embargo"]) == (
        "original",
        None,
        None,
        None,
    )
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


# --- The seed in other forms ------------------------------------------------------------------


def test_crlf_seed_gives_the_same_story(seed, seed_text):
    """The seed with CRLF line endings, as text or bytes, is the same story."""
    crlf = seed_text.replace("\n", "\r\n")
    for data in (crlf, crlf.encode("utf-8")):
        story = wire.parse(data, wire_tz="Asia/Dhaka")
        assert story.as_dict() == seed.as_dict()
        assert story.checksum == seed.checksum
        assert story.warnings == ()


def test_bom_on_the_seed_is_ignored(seed, seed_text):
    """The seed with a BOM is the same story with the same checksum."""
    story = wire.parse(b"\xef\xbb\xbf" + seed_text.encode("utf-8"), wire_tz="Asia/Dhaka")
    assert story == seed


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_seed_in_utf16_or_utf32_is_refused_with_a_hint(seed_text, encoding):
    """The real seed saved as UTF-16 or UTF-32 is named as such."""
    expected = f"{encoding[:6].upper()} text: save it as UTF-8"
    with pytest.raises(wire.WireError, match=f"^{expected}$"):
        wire.parse(seed_text.encode(encoding))
