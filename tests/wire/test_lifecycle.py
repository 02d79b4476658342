"""Lifecycle markers: headline prefixes, the editors' note, kill notices and the seed.

Embargo lines are in ``test_embargo.py``; sample copy is in ``tests/wire/lifecycle/``.
"""

import json
import re
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import wire
from tests.wire.helpers import ROOT, copy, paragraphs

SAMPLES = ROOT / "tests" / "wire" / "lifecycle"
SEED = ROOT / "fixtures" / "source" / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
NEW_KEYS = {"kind": "original", "revision": None, "note": None, "embargo": None}
BODY = ("BAKU, Sept 21 (Reuters) - First paragraph.", "Second paragraph.")


def take(headline: str, *body: str) -> wire.WireStory:
    """Copy with ``headline`` and ``body`` (two plain paragraphs by default), parsed."""
    return wire.parse(copy(*(body or BODY), headline=headline))


# --- The seed, exactly as before --------------------------------------------------------------


def test_the_seed_parses_exactly_as_before_the_lifecycle_markers():
    """The seed's JSON is the one captured before the markers were read, plus the new keys
    with their first-take values."""
    before = json.loads((SAMPLES / "seed-parsed-before-lifecycle.json").read_text("utf-8"))
    story = wire.parse(SEED.read_bytes(), wire_tz="Asia/Dhaka")
    assert story.as_dict() == {**before, **NEW_KEYS}
    assert list(story.as_dict()) == [*before, *NEW_KEYS]
    assert story.warnings == ()


# --- Headline prefixes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headline", "kind", "revision"),
    [
        ("UPDATE 2-Death toll rises", "update", 2),
        ("UPDATE 2 -Death toll rises", "update", 2),
        ("UPDATE 2 - Death toll rises", "update", 2),
        ("Update 2 – Death toll rises", "update", 2),
        ("update 2—Death toll rises", "update", 2),
        ("UPDATE 12--Death toll rises", "update", 12),
        ("UPDATE2-Death toll rises", "update", 2),
        ("Update 3: Death toll rises", "update", 3),
        ("UPDATE-Death toll rises", "update", None),
        ("WRITETHRU-Death toll rises", "update", None),
        ("Writethru - Death toll rises", "update", None),
        ("WRITE-THRU 3-Death toll rises", "update", 3),
        ("CORRECTED-Death toll rises", "correction", None),
        ("Corrected - Death toll rises", "correction", None),
        ("CORRECTION-Death toll rises", "correction", None),
        ("Correction: Death toll rises", "correction", None),
        ("REFILE-Death toll rises", "refile", None),
        ("Refile – Death toll rises", "refile", None),
        ("RPT-Death toll rises", "refile", None),
        ("rpt - Death toll rises", "refile", None),
        ("Rpt-Death toll rises", "refile", None),
    ],
)
def test_headline_prefixes(headline, kind, revision):
    """Each prefix in its real-world spellings gives the kind and revision, and leaves the
    headline without it; the body is untouched."""
    story = take(headline)
    assert (story.kind, story.revision, story.headline) == (kind, revision, "Death toll rises")
    assert paragraphs(story) == ["First paragraph.", "Second paragraph."]
    assert story.warnings == ()


@pytest.mark.parametrize(
    ("headline", "kind", "revision"),
    [
        ("CORRECTED-UPDATE 1-Death toll rises", "correction", 1),
        ("UPDATE 1-CORRECTED-Death toll rises", "correction", 1),
        ("Corrected – Update 4 – Death toll rises", "correction", 4),
        ("REFILE-CORRECTED-Death toll rises", "correction", None),
        ("REFILE-UPDATE 3-Death toll rises", "update", 3),
        ("RPT-UPDATE 1-Death toll rises", "update", 1),
        ("RPT-CORRECTED-UPDATE 2-Death toll rises", "correction", 2),
        ("REFILE-RPT-Death toll rises", "refile", None),
        ("RPT-KILL - Death toll rises", "kill", None),
        ("KILL - UPDATE 2-Death toll rises", "kill", 2),
    ],
)
def test_combined_prefixes(headline, kind, revision):
    """Prefixes combine: a kill beats a correction beats an update; CORRECTED + UPDATE keeps
    the revision; REFILE and RPT take the kind of what they carry."""
    story = take(headline)
    assert (story.kind, story.revision, story.headline) == (kind, revision, "Death toll rises")


@pytest.mark.parametrize(
    ("headline", "kind", "kept"),
    [
        ("FACTBOX-Who is who in Karabakh", "original", "FACTBOX-Who is who in Karabakh"),
        ("ANALYSIS-Baku's victory", "original", "ANALYSIS-Baku's victory"),
        ("WRAPUP 1-Baku claims victory", "original", "WRAPUP 1-Baku claims victory"),
        ("UPDATE 1-FACTBOX-Who is who", "update", "FACTBOX-Who is who"),
        ("WRAPUP 1-UPDATE 2-Toll rises", "original", "WRAPUP 1-UPDATE 2-Toll rises"),
        ("RPT-", "original", "RPT-"),
        ("UPDATE 2-", "original", "UPDATE 2-"),
        ("Correction-weary markets rally", "original", "Correction-weary markets rally"),
        ("Kill-switch rules for AI agreed", "original", "Kill-switch rules for AI agreed"),
        ("Kill switch rules for AI agreed", "original", "Kill switch rules for AI agreed"),
        ("Updated forecast sees rain", "original", "Updated forecast sees rain"),
        ("RPT 2-Toll rises", "original", "RPT 2-Toll rises"),
        ("US - China trade talks resume", "original", "US - China trade talks resume"),
    ],
)
def test_unknown_markers_and_lookalikes_stay_in_the_headline(headline, kind, kept):
    """Unknown markers, and everything after them, stay in the headline; a prefix with no
    headline after it, or a word that only looks like one, is headline text."""
    story = take(headline)
    assert (story.kind, story.headline) == (kind, kept)
    assert story.revision is None or kind != "original"


def test_prefixes_with_crlf_line_endings():
    """CRLF copy with prefixes and a note parses like LF copy."""
    lf = copy(
        "(Adds death toll in paragraph 2)", *BODY, headline="CORRECTED-UPDATE 1-Death toll rises"
    )
    crlf = lf.replace("\n", "\r\n")
    assert wire.parse(crlf).as_dict() == wire.parse(lf).as_dict()
    assert wire.parse(crlf).as_dict()["kind"] == "correction"
    assert wire.parse(crlf).source_text == crlf


def test_prefixes_are_kept_in_the_source_text_and_checksum():
    """The source keeps the headline as sent; the checksum is the copy's, prefixes included."""
    text = copy(*BODY, headline="UPDATE 2-Death toll rises")
    story = wire.parse(text)
    assert story.source_text == text
    assert story.checksum == wire.checksum(text) != wire.checksum(text.replace("UPDATE 2-", ""))


def test_tags_are_suggested_from_the_headline_without_prefixes():
    """ "UPDATE" and "CORRECTED" are not names the story is about."""
    story = take("CORRECTED-UPDATE 2-Azerbaijan says Azerbaijan won")
    assert "Azerbaijan" in story.tags
    assert not {"UPDATE", "CORRECTED", "Update", "Corrected"} & set(story.tags)


# --- Kill notices -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headline",
    [
        "KILL - Azerbaijan claims victory",
        "KILL-Azerbaijan claims victory",
        "Kill – Azerbaijan claims victory",
        "KILL: Azerbaijan claims victory",
        "WITHDRAWN: Azerbaijan claims victory",
        "WITHDRAWN-Azerbaijan claims victory",
        "Withdrawn — Azerbaijan claims victory",
        "STORY WITHDRAWN-Azerbaijan claims victory",
        "ELIMINATE - Azerbaijan claims victory",
        "ELIMINATION - Azerbaijan claims victory",
        "REFILE-KILL - Azerbaijan claims victory",
    ],
)
def test_kill_notices_name_the_story(headline):
    """Reuters' KILL and STORY WITHDRAWN, AFP's WITHDRAWN and AP's ELIMINATE/ELIMINATION:
    a kill, whose headline is the story it withdraws."""
    story = take(headline, "The story headlined above is withdrawn. There will be no sub.")
    assert (story.kind, story.revision) == ("kill", None)
    assert story.headline == "Azerbaijan claims victory"
    assert story.warnings[-1] == "no dateline found (line 5)"


@pytest.mark.parametrize("headline", ["KILL", "Withdrawn", "ELIMINATE.", "STORY WITHDRAWN"])
def test_a_bare_kill_headline_is_a_kill_that_names_no_story(headline):
    """A headline that is only the kill word is a kill notice, with a warning that it names
    no story (the importer cannot match it on its headline)."""
    story = take(headline, 'The story headlined "Azerbaijan claims victory" is withdrawn.')
    assert (story.kind, story.headline) == ("kill", headline)
    assert "kill notice names no story in its headline (line 3)" in story.warnings


def test_the_kill_sample():
    """The Reuters-style kill notice in the samples."""
    story = wire.parse((SAMPLES / "kill.txt").read_bytes(), wire_tz="UTC")
    assert story.kind == "kill"
    assert story.headline == "Azerbaijan claims victory after Karabakh separatists surrender"
    assert paragraphs(story)[0].startswith('The story headlined "Azerbaijan claims victory')


# --- The editors' note ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "note", "kind"),
    [
        ("(Adds death toll in paragraph 2)", "Adds death toll in paragraph 2", "update"),
        ("(Updates with minister's comments)", "Updates with minister's comments", "update"),
        (
            "(Corrects name of minister in paragraph 4)",
            "Corrects name of minister in paragraph 4",
            "correction",
        ),
        ("  ( Recasts with talks (in Yevlakh) )  ", "Recasts with talks (in Yevlakh)", "update"),
        (
            "(Story corrects spelling of Stepanyan)",
            "Story corrects spelling of Stepanyan",
            "correction",
        ),
        ("(Repeats story first sent on Sept 20)", "Repeats story first sent on Sept 20", "refile"),
        ("(This story has been refiled to fix a typo)", None, "refile"),
        ("(Editor's note: graphic content)", "Editor's note: graphic content", "original"),
    ],
)
def test_note_after_the_headline(line, note, kind):
    """A line wholly in parentheses right after the headline is the note, out of the body;
    copy without prefixes takes its kind from the note's verb."""
    story = take("Death toll rises", line, *BODY)
    assert story.note == (note or line.strip()[1:-1])
    assert story.kind == kind
    assert story.dateline.place == "BAKU"
    assert paragraphs(story) == ["First paragraph.", "Second paragraph."]
    assert story.warnings == ()


@pytest.mark.parametrize(
    "line",
    [
        "(Adds death toll in paragraph 2)",
        "(Updates with minister's comments)",
        "(Corrects name of minister in paragraph 4)",
        "(ADDS quotes from Aliyev)",
    ],
)
def test_note_after_the_dateline_paragraph(line):
    """A note with an editors' verb right after the dateline paragraph is the note too."""
    story = take("UPDATE 3-Death toll rises", BODY[0], line, "Second paragraph.")
    assert story.note == line[1:-1]
    assert paragraphs(story) == ["First paragraph.", "Second paragraph."]
    assert story.kind == ("correction" if "Corrects" in line else "update")
    assert story.revision == 3


@pytest.mark.parametrize(
    "line",
    [
        "(The ministry did not say how many were hurt.)",
        "(Reporting by Jane Doe; Editing by John Roe)",
        "(Adds death toll) and more",
        "(" + "Adds " * 70 + ")",
    ],
)
def test_bracketed_story_text_after_the_dateline_paragraph_stays(line):
    """After the dateline paragraph, bracketed story text without an editors' verb (or too
    long for a note, or not wholly in brackets) stays a paragraph."""
    story = take("Death toll rises", BODY[0], line)
    assert story.note is None
    assert paragraphs(story) == ["First paragraph.", line.strip()]


def test_only_one_note_is_taken_and_a_second_stays_text():
    """A second note-like line after the dateline paragraph is kept as text, never lost."""
    story = take("Toll rises", "(Adds toll)", BODY[0], "(Updates with reaction)", "Text.")
    assert story.note == "Adds toll"
    assert paragraphs(story) == ["First paragraph.", "(Updates with reaction)", "Text."]


def test_note_is_kept_in_the_source_text():
    """The note leaves the body, not the source."""
    text = copy("(Adds death toll in paragraph 2)", *BODY, headline="UPDATE 1-Toll rises")
    story = wire.parse(text)
    assert story.source_text == text
    assert "(Adds death toll in paragraph 2)" not in json.dumps(story.as_dict()["sections"])


def test_the_crlf_update_sample():
    """A Reuters-style UPDATE 2 with CRLF line endings and an indented note."""
    data = (SAMPLES / "reuters-update-2-crlf.txt").read_bytes()
    assert b"\r\n" in data
    story = wire.parse(data, wire_tz="UTC")
    assert (story.kind, story.revision) == ("update", 2)
    assert story.headline == "Azerbaijan claims victory after Karabakh separatists surrender"
    assert story.note == "Adds death toll in paragraph 2, Armenian reaction"
    assert story.published_at == datetime(2023, 9, 21, 14, 10, tzinfo=UTC)
    assert [(s.subheading, len(s.paragraphs)) for s in story.sections] == [
        (None, 2),
        ("Reaction", 1),
    ]
    assert story.embargo is None


def test_parse_wire_prints_the_new_keys(capsys):
    """``manage.py parse_wire`` prints kind, revision, note and embargo."""
    call_command("parse_wire", SAMPLES / "corrected-update-1.txt", SAMPLES / "embargoed.txt")
    corrected, embargoed = json.loads(capsys.readouterr().out)
    assert (
        corrected["headline"] == "Azerbaijan claims victory after Karabakh separatists surrender"
    )
    assert (corrected["kind"], corrected["revision"]) == ("correction", 1)
    assert corrected["note"] == "Corrects name of minister in paragraph 4"
    assert [len(s["paragraphs"]) for s in corrected["sections"]] == [2]
    assert embargoed["embargo"] == "2023-09-22T00:01:00+00:00"
    assert (embargoed["kind"], embargoed["note"]) == ("original", None)


# --- Properties -------------------------------------------------------------------------------

PREFIXES = [
    "UPDATE 1-", "UPDATE 12 - ", "Update 2 – ", "WRITETHRU-", "CORRECTED-", "Correction: ",
    "REFILE-", "RPT-", "RPT-CORRECTED-UPDATE 3-", "KILL - ", "WITHDRAWN: ", "ELIMINATE — ",
]  # fmt: skip
plain = st.characters(codec="ascii", categories=["L", "N", "P", "Zs"], exclude_characters="()")
lines = st.text(plain, min_size=1, max_size=40).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(PREFIXES),
    headline=st.text(st.characters(codec="ascii", categories=["L", "Zs"]), max_size=60)
    .map(str.strip)
    .filter(bool),
    first=lines,
    body=st.lists(lines, max_size=4),
    note=st.sampled_from([None, "(Adds death toll in paragraph 2)"]),
    crlf=st.booleans(),
)
def test_adding_or_removing_a_prefix_never_changes_the_body(
    prefix, headline, first, body, note, crlf
):
    """The same copy with and without a known prefix has the same body, dateline, note and
    times: only the headline's markers differ."""
    lead = [note] if note else []

    def parsed(head: str) -> wire.WireStory:
        text = copy(*lead, f"BAKU, Sept 21 (AFP) - {first}", *body, headline=head)
        return wire.parse(text.replace("\n", "\r\n") if crlf else text)

    try:
        without = parsed(headline)
    except wire.WireError as refused:
        with pytest.raises(wire.WireError, match=f"^{re.escape(str(refused))}$"):
            parsed(prefix + headline)
        return
    marked = parsed(prefix + headline)
    assert marked.sections == without.sections
    assert (marked.dateline, marked.published_at, marked.embargo, marked.note) == (
        without.dateline,
        without.published_at,
        without.embargo,
        without.note,
    )
    assert marked.headline == without.headline
    assert marked.kind != "original"
