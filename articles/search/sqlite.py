"""The SQLite fallback: no text-search index, so plain substring matching.

A story matches when each query word or "quoted phrase" appears (ignoring ASCII case, as a
plain substring: "peace" finds "peacekeepers") in its headline, standfirst, subheadings or
paragraphs and no ``-excluded`` one does, newest first, with no ranking, stemming or typo
tolerance. The stored search fields stay empty.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from articles.models import Section, Story
from articles.search.query import split_websearch
from articles.search.results import SearchResults
from articles.search.snippets import plain_snippet


class SQLiteResults(SearchResults):
    """Every wanted word or phrase somewhere in the story's text, and no excluded one
    (``-Putin``), newest first. Queries: the count, the page, the page's sections."""

    def __init__(self, stories: QuerySet, query: str) -> None:
        super().__init__(stories)
        wanted, negated = split_websearch(query)
        self.terms = list(dict.fromkeys(term.lower() for term in wanted))
        self.excluded = list(dict.fromkeys(term.lower() for term in negated))

    def matching(self) -> QuerySet:
        stories = self.stories
        for term in self.terms:
            stories = stories.filter(self._contains(term))
        for phrase in self.excluded:
            stories = stories.exclude(self._contains(phrase))
        return stories

    @staticmethod
    def _contains(text: str) -> Q:
        in_sections = Section.objects.filter(
            Q(subheading__icontains=text) | Q(body__icontains=text), story=OuterRef("pk")
        )
        return Q(headline__icontains=text) | Q(standfirst__icontains=text) | Exists(in_sections)

    def _ordered(self) -> QuerySet:
        return (
            self.matching()
            .annotate(rank=Value(0.0))
            .for_readers()
            .prefetch_related("sections")
            .order_by("-published_at", "-pk")
        )

    def _add_snippets(self, stories: list[Story]) -> list[Story]:
        for story in stories:
            parts = [story.headline, story.standfirst]
            for section in story.sections.all():
                parts += [section.subheading, section.body]
            story.snippet = plain_snippet("\n\n".join(parts), self.terms)
        return stories
