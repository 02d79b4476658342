"""Reader search: a stored, weighted full-text vector on PostgreSQL, a plain fallback on SQLite.

Every result comes from ``Story.objects.published()``, so drafts and scheduled stories never
appear, exact or typo matches alike. Snippets are HTML-escaped and carry no markup but
``<mark>``. What lives where:

- ``indexing.py``: the stored fields (vector, readable document, lexicon of words) and
  keeping them fresh: ``refresh``, ``refresh_all``, ``refresh_stories``,
  ``refresh_on_commit``.
- ``query.py``: reading the search box: ``clean_query``, websearch syntax.
- ``backends.py``: ``search_stories`` for readers and ``matching`` for the admin, each
  choosing the backend for its database.
- ``results.py``: ``SearchResults``, capped at ``max_results``, for a ``Paginator``.
- ``postgresql.py``: ranked matches through the GIN index, then typo tolerance through the
  lexicon ("Pashinian" finds "Pashinyan"), with ``ts_headline`` snippets.
- ``sqlite.py``: the fallback: substrings, newest first, no ranking or typo tolerance.
- ``snippets.py``: the snippets' escaped HTML.
- ``views.py``: the ``/search/`` page.

No request computes a vector: the services refresh the stories they wrote once their
transaction commits (``articles.services.effects``), and ``manage.py rebuild_search`` recomputes
everything (after a restore from a dump, say).
"""

from articles.search.backends import matching, search_stories
from articles.search.indexing import (
    REFRESH_BATCH,
    first_line,
    is_postgresql,
    refresh,
    refresh_all,
    refresh_on_commit,
    refresh_stories,
)
from articles.search.query import MAX_QUERY_LENGTH, clean_query, websearch
from articles.search.results import SearchResults
from articles.search.views import search_view

__all__ = [
    "MAX_QUERY_LENGTH",
    "REFRESH_BATCH",
    "SearchResults",
    "clean_query",
    "first_line",
    "is_postgresql",
    "matching",
    "refresh",
    "refresh_all",
    "refresh_on_commit",
    "refresh_stories",
    "search_stories",
    "search_view",
    "websearch",
]
