"""Snippets: escaped HTML whose only markup is ``<mark>``."""

from articles.search.snippets import START_SEL, STOP_SEL, marked_snippet


def test_marked_snippets_are_built_from_escaped_pieces():
    """Only the database's selection markers become ``<mark>``; everything else is escaped."""
    raw = f"a <b> {START_SEL}x&y{STOP_SEL} and a stray {START_SEL}"
    assert marked_snippet(raw) == "a &lt;b&gt; <mark>x&amp;y</mark> and a stray"


def test_marked_snippets_collapse_whitespace():
    """Paragraph breaks and runs of spaces in the passage become single spaces."""
    raw = f"…the end.\n\n{START_SEL}Truce{STOP_SEL}   deal …"
    assert marked_snippet(raw) == "…the end. <mark>Truce</mark> deal …"
