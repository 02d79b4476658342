"""Reader search: ranked, stemmed, typo-tolerant full text on PostgreSQL and on SQLite alike.

Both backends read a query the same way, rank exact matches by the same weights (headline,
subheadings, paragraphs, then tags and place) and list typo matches ("Pashinian" finds
"Pashinyan") after every exact one. Every result comes from ``Story.objects.published()``,
so drafts and scheduled stories never appear, exact or typo matches alike. Snippets are
HTML-escaped and carry no markup but ``<mark>``. What lives where:

- ``indexing.py``: PostgreSQL's stored fields (vector, readable document, lexicon) and
  keeping them fresh: ``refresh``, ``refresh_all``, ``refresh_stories``,
  ``refresh_on_commit``.
- ``query.py``: reading the search box: ``clean_query``, websearch syntax.
- ``backends.py``: ``search_stories`` for readers and ``matching`` for the admin, each
  choosing the backend for its database.
- ``results.py``: ``SearchResults``, capped at ``max_results``, for a ``Paginator``.
- ``postgresql.py``: ranked matches through the GIN index, then typo tolerance through the
  lexicon ("Pashinian" finds "Pashinyan"), with ``ts_headline`` snippets.
- ``sqlite.py``: ranked matches through the FTS5 index that SQLite's triggers keep (migration
  0012), then typo tolerance through its vocabulary, with ``snippet()`` snippets.
- ``snippets.py``: the snippets' escaped HTML.
- ``views.py``: the ``/search/`` page.

No request computes a vector. On PostgreSQL the services refresh the stories they wrote once
their transaction commits (``articles.services.effects``), and ``manage.py rebuild_search``
recomputes everything (after a restore from a dump, say); on SQLite the database's triggers
re-index a story whenever its text changes, whoever writes.
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
