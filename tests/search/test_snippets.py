"""Snippets: escaped HTML whose only markup is ``<mark>``."""

from articles.search.snippets import START_SEL, STOP_SEL, marked_snippet, plain_snippet


def test_marked_snippets_are_built_from_escaped_pieces():
    """Only ts_headline's selection markers become ``<mark>``; everything else is escaped."""
    raw = f"a <b> {START_SEL}x&y{STOP_SEL} and a stray {START_SEL}"
    assert marked_snippet(raw) == "a &lt;b&gt; <mark>x&amp;y</mark> and a stray"


def test_plain_snippets_escape_the_text_and_mark_each_occurrence():
    """The text is escaped; every occurrence of a term is marked, whatever its case."""
    plain = plain_snippet("Tom & <Jerry> met jerry.", ["JERRY"])
    assert plain == "Tom &amp; &lt;<mark>Jerry</mark>&gt; met <mark>jerry</mark>."


def test_plain_snippets_mark_what_the_fallback_matches_inside_words():
    """As the SQLite fallback matches substrings, "peace" is marked in "Peacekeepers"."""
    assert plain_snippet("Peacekeepers left.", ["peace"]) == "<mark>Peace</mark>keepers left."


def test_a_plain_snippet_is_cut_around_the_first_match():
    """A long text gives a passage around the first match, cut at spaces, with ellipses."""
    text = " ".join(f"word{n}" for n in range(100)) + " Kirkenes " + "tail " * 100
    snippet = plain_snippet(text, ["kirkenes"])
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>Kirkenes</mark>" in snippet
    assert "word0 " not in snippet
    assert len(snippet) < len(text) // 2


def test_without_a_match_a_plain_snippet_is_the_opening_of_the_text():
    """No term found: the beginning of the text, unmarked."""
    snippet = plain_snippet("First words. " + "more " * 100, ["absent"])
    assert snippet.startswith("First words.") and snippet.endswith("…")
    assert "<mark>" not in snippet
