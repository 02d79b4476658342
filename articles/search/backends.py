"""The entry points: :func:`search_stories` for readers, :func:`matching` for the admin,
each choosing the backend for its database (``postgresql.py`` or ``sqlite.py``)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

from articles.models import Story
from articles.search.indexing import is_postgresql
from articles.search.postgresql import PostgreSQLResults
from articles.search.query import clean_query, split_websearch, websearch
from articles.search.results import SearchResults
from articles.search.sqlite import SQLiteResults, fts_query, matches


def search_stories(query: str, *, using: str = DEFAULT_DB_ALIAS) -> SearchResults:
    """Published stories matching ``query``, best first, each with a ``snippet``.

    A query with nothing to look for ("", "&&&", only "-word") matches nothing, without
    asking the database.
    """
    query = clean_query(query)
    stories = Story.objects.using(using).published()
    wanted, _ = split_websearch(query)
    if not wanted:
        return SearchResults(stories.none())
    if is_postgresql(using):
        return PostgreSQLResults(stories, query)
    return SQLiteResults(stories, query)


def matching(query: str, *, using: str = DEFAULT_DB_ALIAS) -> Q:
    """A filter for any stories, drafts too, matching ``query`` as the site search matches
    it exactly (typo matches aside): the stored vectors on PostgreSQL, the FTS5 index on
    SQLite (the admin's search box). Unranked; a query with nothing to look for matches
    nothing."""
    if not split_websearch(query)[0]:
        return Q(pk__in=[])
    if is_postgresql(using):
        return Q(search_vector=websearch(query))
    expression = fts_query(query)
    return Q(pk__in=matches(expression)) if expression else Q(pk__in=[])
