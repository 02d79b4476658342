"""Snippets: the passage of a result shown under its headline, as escaped HTML whose only
markup is ``<mark>`` around the words that matched.

On PostgreSQL, ``ts_headline`` chooses the passage and puts ``START_SEL`` and ``STOP_SEL``
around the matches (:func:`marked_snippet` turns them into ``<mark>``); on SQLite,
:func:`plain_snippet` cuts it around the first match itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Private-use characters that wire copy does not contain: ts_headline puts them around the
# matches, the text is escaped, then they become <mark> and </mark>.
START_SEL, STOP_SEL = "\ue000", "\ue001"
MARKED = re.compile(f"{START_SEL}(.*?){STOP_SEL}", re.S)
# Characters of a plain snippet before and after its first match.
SNIPPET_BEFORE = 80
SNIPPET_AFTER = 200


def marked_snippet(text: str) -> SafeString:
    """ts_headline's output as HTML: all of it escaped, its selections as ``<mark>``."""
    parts = []
    position = 0
    for match in MARKED.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<mark>{escape(match[1])}</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    html = "".join(parts).replace(START_SEL, "").replace(STOP_SEL, "")
    # Safe: every piece of text was escaped above.
    return mark_safe(" ".join(html.split()))


def plain_snippet(text: str, terms: Iterable[str]) -> SafeString:
    """An escaped passage of ``text`` around the first of ``terms``, each occurrence of them
    marked, ignoring case (what the SQLite fallback matches: "peace" in "peacekeepers").
    Without a match, the opening of the text."""
    text = " ".join(text.split())
    terms = sorted({term for term in terms if term}, key=len, reverse=True)
    if not terms:
        return _passage(text, None, 0, SNIPPET_AFTER)
    found = re.compile("|".join(re.escape(term) for term in terms), re.I)
    first = found.search(text)
    if first is None:
        return _passage(text, None, 0, SNIPPET_AFTER)
    start = _word_start(text, max(first.start() - SNIPPET_BEFORE, 0))
    end = _word_end(text, min(first.end() + SNIPPET_AFTER, len(text)))
    return _passage(text, found, start, end)


def _word_start(text: str, index: int) -> int:
    if index == 0:
        return 0
    space = text.find(" ", index)
    return space + 1 if space != -1 else index


def _word_end(text: str, index: int) -> int:
    if index >= len(text):
        return len(text)
    space = text.rfind(" ", 0, index)
    return space if space > 0 else index


def _passage(text: str, found: re.Pattern | None, start: int, end: int) -> SafeString:
    end = _word_end(text, min(end, len(text)))
    passage = text[start:end]
    parts = ["…" if start > 0 else ""]
    position = 0
    for match in found.finditer(passage) if found else ():
        parts.append(escape(passage[position : match.start()]))
        parts.append(f"<mark>{escape(match[0])}</mark>")
        position = match.end()
    parts.append(escape(passage[position:]))
    parts.append("…" if end < len(text) else "")
    # Safe: every piece of text was escaped above.
    return mark_safe("".join(parts))
