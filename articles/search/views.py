"""The readers' search page, ``/search/?q=``."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from articles.search.backends import search_stories
from articles.search.query import clean_query
from articles.site import caching
from articles.site import keys as surrogate

RESULTS_PER_PAGE = 20

PAGE_QUERY = {"q": clean_query, "page": caching.whole_number}
"""What the page reads from its query string: it is cached under those alone."""


def search_view(request):
    """Published stories matching the query, ``RESULTS_PER_PAGE`` a page.

    Any query gets a calm answer: an empty one asks for a word, odd characters find
    nothing, a very long one is cut to its first ``MAX_QUERY_LENGTH`` characters. A page
    number past the end shows the last page. Search engines may follow the results but
    not index them.
    """
    query = clean_query(request.GET.get("q"))
    page = None
    if query:
        paginator = Paginator(search_stories(query), RESULTS_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        caching.shows(request, *surrogate.of_stories(page.object_list))
    caching.shows(request, surrogate.SEARCH)
    response = render(request, "articles/search.html", {"query": query, "page": page})
    response["X-Robots-Tag"] = "noindex, follow"
    return response
