"""Snippets: the passage of a result shown under its headline, as escaped HTML whose only
markup is ``<mark>`` around the words that matched.

The database chooses the passage and puts ``START_SEL`` and ``STOP_SEL`` around the matches
(``ts_headline`` on PostgreSQL, FTS5's ``snippet()`` on SQLite); :func:`marked_snippet`
escapes the rest and turns them into ``<mark>``.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Private-use characters that wire copy does not contain: the database puts them around the
# matches, the text is escaped, then they become <mark> and </mark>.
START_SEL, STOP_SEL = "\ue000", "\ue001"
MARKED = re.compile(f"{START_SEL}(.*?){STOP_SEL}", re.S)


def marked_snippet(text: str) -> SafeString:
    """A passage marked by the database as HTML: all of it escaped, its selections as
    ``<mark>``, its whitespace collapsed."""
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
