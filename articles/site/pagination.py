"""Keyset pagination for story lists: no OFFSET and no COUNT, however deep the page.

A page is asked for by a cursor naming the last story seen, ``(published_at, pk)``, so the
database walks its publication-time index from there and reads one page, whether it is the
first page or the thousandth. Cursors are opaque to readers: ``1695268500000000-12``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

from django.db.models import Q, QuerySet

CURSOR = re.compile(r"^(\d{1,20})-(\d{1,20})$")


class BadCursor(ValueError):
    """A cursor that this site did not make."""


@dataclass(frozen=True)
class KeysetPage:
    items: list
    older: str | None
    newer: str | None
    from_cursor: bool = False
    """Asked for by a cursor (an empty page is then past the end, not an empty list)."""

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.older or self.newer)


def cursor_for(story) -> str:
    stamp = story.published_at.astimezone(UTC)
    micros = int(stamp.timestamp()) * 1_000_000 + stamp.microsecond
    return f"{micros}-{story.pk}"


def canonical_cursor(cursor: str) -> str:
    """The cursor as this site writes it, or ``"-"`` for one it did not make (the lists
    answer those with their newest page, the API with a 400)."""
    try:
        when, pk = read_cursor(cursor)
    except BadCursor:
        return "-"
    return cursor_for(SimpleNamespace(published_at=when, pk=pk))


def read_cursor(cursor: str) -> tuple[datetime, int]:
    match = CURSOR.match(cursor)
    if not match:
        raise BadCursor(f"not a page cursor: {cursor[:40]!r}")
    micros, pk = int(match[1]), int(match[2])
    try:
        when = datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(
            microsecond=micros % 1_000_000
        )
    except (OverflowError, OSError, ValueError):
        raise BadCursor(f"not a page cursor: {cursor[:40]!r}") from None
    return when, pk


def keyset_page(
    stories: QuerySet,
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = 20,
    keys: tuple[str, str] = ("published_at", "pk"),
) -> KeysetPage:
    """One page of ``stories`` (published ones: every story has a ``published_at``).

    ``before`` gives the page of older stories after that cursor, ``after`` the page of
    newer ones before it; neither gives the newest page. Raises :class:`BadCursor`.

    ``keys`` names what the query filters and orders on: the story's publication time and
    id by default, or fields equal to them that an index serves better (the tag page uses
    its tag rows' copies, see ``views.tag_detail``).
    """
    time, ident = keys
    if after:
        when, pk = read_cursor(after)
        newer_first = Q(**{f"{time}__gt": when}) | Q(**{time: when, f"{ident}__gt": pk})
        # The plain range first: it is what lets the database walk its index from there.
        stories = stories.filter(**{f"{time}__gte": when}).filter(newer_first)
        rows = list(stories.order_by(time, ident)[: size + 1])
        has_newer = len(rows) > size
        items = list(reversed(rows[:size]))
        has_older = True
    else:
        if before:
            when, pk = read_cursor(before)
            older = Q(**{f"{time}__lt": when}) | Q(**{time: when, f"{ident}__lt": pk})
            stories = stories.filter(**{f"{time}__lte": when}).filter(older)
        rows = list(stories.order_by(f"-{time}", f"-{ident}")[: size + 1])
        has_older = len(rows) > size
        items = rows[:size]
        has_newer = bool(before)
    return KeysetPage(
        items=items,
        older=cursor_for(items[-1]) if items and has_older else None,
        newer=cursor_for(items[0]) if items and has_newer else None,
        from_cursor=bool(before or after),
    )
