"""What a search returns: :class:`SearchResults`, the base of both backends' results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

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


class Candidate(NamedTuple):
    """A matching story as a backend's candidates query gives it: plain values, no model,
    since a common word brings ``max_results`` of them on every request."""

    pk: int
    exact: bool
    rank: float
    published: float  # seconds since the epoch

    def key(self):
        # Exact matches first, each kind by rank, then newest first.
        return (not self.exact, -self.rank, -self.published, -self.pk)


class RankedResults(SearchResults):
    """What both backends' ranked results share: exact matches, then typo matches, from
    the :class:`Candidate` list their ``_find()`` gives (the newest ``max_results + 1``
    exact ones, then at most ``typo_max_results + 1`` typo ones)."""

    # Typo matches are a fallback: the newest 200 of them are plenty to rank and page.
    typo_max_results = 200

    def count(self) -> int:
        if self._count is None:
            found = self._find()
            exact = sum(candidate.exact for candidate in found)
            # Typo matches past typo_max_results count as "more" as well.
            cap = min(self.max_results, exact + self.typo_max_results)
            self.more = len(found) > cap
            self._count = min(len(found), cap)
        return self._count

    def _chosen(self, index: slice) -> list[Candidate]:
        """The candidates of a page: of those counted, best first."""
        return sorted(self._find()[: self.count()], key=Candidate.key)[index]

    @staticmethod
    def _placed(chosen: list[Candidate], by_pk: dict[int, Story], snippet_of) -> list[Story]:
        """The page's stories in the candidates' order, each with its ``rank``,
        ``exact_match`` and ``snippet`` (``snippet_of(story)``); a story that left the
        public rule since its candidate was read drops out."""
        page = []
        for candidate in chosen:
            story = by_pk.get(candidate.pk)
            if story is not None:
                story.rank = candidate.rank
                story.exact_match = candidate.exact
                story.snippet = snippet_of(story)
                page.append(story)
        return page

    def _find(self) -> list[Candidate]:
        raise NotImplementedError
