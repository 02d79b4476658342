"""What a search returns: :class:`SearchResults`, the base of both backends' results."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from articles.models import Story


class SearchResults:
    """Published stories matching a query, best first, for a ``Paginator``.

    At most ``max_results`` of them: ``count()`` stops counting there (``more`` tells that
    there were more), so no request counts or ranks every match of a common word. Slicing
    runs one query for the slice and gives each story a ``snippet`` (escaped HTML with
    ``<mark>``) and a ``rank``.
    """

    # The most results a search counts, ranks and pages ("more than 1,000 stories match").
    max_results = 1000

    def __init__(self, stories: QuerySet) -> None:
        self.stories = stories
        self._count: int | None = None
        self.more = False

    def count(self) -> int:
        if self._count is None:
            found = self.matching()[: self.max_results + 1].count()
            self.more = found > self.max_results
            self._count = min(found, self.max_results)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if not self.count():
            return []
        start, stop, _ = index.indices(self.count())
        return self._add_snippets(list(self._ordered()[start:stop]))

    def __iter__(self) -> Iterator[Story]:
        return iter(self[:])

    def matching(self) -> QuerySet:
        """Every matching story, unordered and unranked (the admin's search filters by it)."""
        return self.stories

    def _ordered(self) -> QuerySet:
        return self.matching()

    def _add_snippets(self, stories: list[Story]) -> list[Story]:
        return stories
