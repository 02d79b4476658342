"""Caching of public pages by what they show, and purging exactly what a change touches.

**Keys.** Every public response (pages, feeds, sitemaps, the API, search) names what it
shows as surrogate keys (``articles.site.keys``: ``story-12``, ``tag-3-stories``,
``latest``…), collected while it renders (:func:`shows`) and sent in a ``Surrogate-Key``
header: a shared cache in front purges by them (the shipped Varnish configuration copies them
into ``xkey``; Fastly reads the header as it is). A change purges the keys it touches once
its transaction commits (``articles.services.effects`` calls :func:`purge`), and every other
page stays cached.

**Django's own cache works the same way, on any cache backend** (Redis in production; by
default a file cache every process of the machine shares). Each key has a *version* in the
cache, a random token; an entry keeps its page's bytes with the versions of its keys when
it was rendered, and a purge gives each purged key a new version. A page whose keys all
still have the versions it was stored with is current; otherwise it is a miss and is made
again. A version the cache lost (evicted, Redis restarted) is made anew, which can only
turn a hit into a miss. A change committed while a page renders leaves that page unstored:
a purge first writes the *purge mark* (a token new at every purge), then the versions, and a
page is stored only if the mark it read before rendering is still the mark after its
versions were read. Each process keeps its pages in memory too, and trusts the versions it
read for ``VERSIONS_TRUSTED_SECONDS`` (a tenth of a second): under load most hits then cost
no trip to the cache at all, its own purges count at once, and another process's purge
reaches it within that time.

**The sidebar** (the latest news, on every page) would tie every page to ``latest``, which
every publication purges. So it is an Edge Side Include: a page holds
``<esi:include src="/fragments/latest-news/"/>`` where the sidebar goes, and is cached so.
A Varnish of ours (it sends ``Surrogate-Capability: …ESI/1.0``) gets it as it is, with
``Surrogate-Control: content="ESI/1.0"``, and puts in the fragment, cached under its own
keys; for anyone else Django puts the fragment in itself, from its own cache, the same way.
A new story purges the fragment and the lists, not the story pages.

**Scheduled stories** need no change to appear: every cached response's lifetime ends by
the time of the next scheduled story, in Django's cache and in shared caches (``s-maxage``).

**Query strings.** A page is kept under its path and only the query parameters its view
reads (``before`` and ``after`` on lists, say, declared with ``cached_page(view,
query=...)``), each in the one form the view reads it: the last value given, written
canonically (``007`` is ``7``), and every value the view cannot use counted as one. So
tracking parameters (``utm_*``, ``fbclid``), any other noise, and made-up or padded values
share one entry each: they can neither force a render per request nor fill the cache. An
address with a query string that is not a cached page (the admin, a 404) never touches the
cache.

**Headers.** Shared caches get ``s-maxage`` and ``stale-while-revalidate``; browsers get a
short ``max-age`` and an ``ETag`` (ConditionalGetMiddleware answers their revalidations
with 304). A hit from Django's cache carries ``Age``, the seconds since it was stored.

Fragments of a page (a story's related stories) are cached by their keys too
(:func:`cached_fragment`), so that a page made again need not work them out again.

What bypasses all this: ``QuerySet.update()`` and raw SQL send no signals, so the code
that uses them says what it changed (``effects.stories_changed``); and a cache that is
away serves pages uncached (and a purge it missed is made when it answers again).
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Callable, Mapping
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import patch_cache_control

from articles.site import keys as surrogate
from articles.site.entries import (
    FRAGMENT_SECONDS,
    cache_errors,
    cache_seconds,
    cached_fragment,
    clock,
    forget,
    lookup,
    new_entry,
    pay_owed,
    purge,
    quiet_lookup,
    quiet_store,
    rest,
    resting,
    shown,
    shows,
    variant,
)

__all__ = [  # what the site's views, services and tests use; the store is entries.py
    "PageCacheMiddleware",
    "cache_errors",
    "cache_seconds",
    "cached_fragment",
    "cached_page",
    "forget",
    "include",
    "page_query",
    "purge",
    "shows",
    "whole_number",
]

logger = logging.getLogger(__name__)

ESI_CAPABILITY = "ESI/1.0"
INCLUDE = '<esi:include src="{}"/>'
INCLUDE_START = b'<esi:include src="'
INCLUDE_END = b'"/>'


Canonical = Callable[[str], str]
"""A query value in the one form its view reads it, or :data:`UNUSABLE`."""
UNUSABLE = "-"

CACHEABLE_STATUSES = frozenset({200, 301, 410})
"""What a cached page may answer: a page, a story's move (301) or its withdrawal (410),
each purged by the story's key like its page."""


def whole_number(value: str) -> str:
    """``limit=007`` and ``limit=7`` ask for the same page."""
    return (value.lstrip("0") or "0") if value.isascii() and value.isdigit() else UNUSABLE


def page_query(request) -> Mapping[str, Canonical] | None:
    """The query parameters the page at this address reads, or None when it is not a
    cached page (``cached_page`` marks the views whose pages are)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return getattr(match.func, "page_cache_query", None)


def _page_key(request, query: Mapping[str, Canonical]) -> str:
    # The last value, as request.GET.get() gives the view.
    used = urlencode(
        sorted(
            (name, canonical(request.GET[name]))
            for name, canonical in query.items()
            if name in request.GET
        )
    )
    digest = hashlib.sha256(f"{request.path}?{used}".encode()).hexdigest()
    return f"response:{request.scheme}:{request.get_host()}:{digest}"


def _storable(response) -> bool:
    """Only a page (or a move or withdrawal: :data:`CACHEABLE_STATUSES`) that is the same
    for every reader: no cookie, nothing private, no variation but the encoding."""
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",")} - {""}
    return (
        getattr(response, "page_cache", False)
        and response.status_code in CACHEABLE_STATUSES
        and not response.streaming
        and not response.cookies
        and vary <= {"accept-encoding"}
    )


def esi_capable(request) -> bool:
    """Whether a Varnish of ours asked for the page: it puts the includes in itself."""
    return bool(settings.VARNISH_PURGE_URLS) and ESI_CAPABILITY in request.headers.get(
        "Surrogate-Capability", ""
    )


def include(path: str) -> str:
    """Where a fragment at ``path`` (a cached public view) goes in a page."""
    return INCLUDE.format(path)


class PageCacheMiddleware:
    """Answers public pages from the cache before sessions, CSRF, auth and messages run,
    and puts the fragments a page includes into it.

    It sits right after WhiteNoise (and conditional GET, which turns hits into 304s), so a
    cached page costs about what a static file costs. Only responses of views wrapped in
    ``cached_page`` are stored, as bytes and headers, exactly as they left the inner
    middleware, with their includes not yet put in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return _assembled(request, self._response(request))

    def _response(self, request):
        if not settings.PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD") or resting():
            return self.get_response(request)
        # Without a query string the key is the path, whatever the view: resolving it would
        # be a good part of what a hit costs; only views marked by cached_page are stored.
        query = page_query(request) if request.META.get("QUERY_STRING") else {}
        if query is None:
            return self.get_response(request)
        key = _page_key(request, query)
        try:
            pay_owed()
            # A Varnish of ours keeps what it gets for minutes: it gets versions read now.
            entry, mark, request.included = lookup(
                key,
                companions=lambda page: {p: _include_key(request, p) for p in page.includes},
                trusted=not esi_capable(request),
            )
        except cache_errors() as error:
            rest(error)
            return self.get_response(request)
        if entry is not None:
            response = HttpResponse(entry.content, status=entry.status, headers=entry.headers)
            response["Age"] = str(max(0, int(clock() - entry.stored_at)))
            return response
        response = self.get_response(request)
        if _storable(response):
            headers = dict(response.items())
            page_keys = headers.get("Surrogate-Key", "").split()
            entry = new_entry(
                response.content,
                page_keys,
                response.page_cache,
                status=response.status_code,
                headers=headers,
                includes=_includes(response.content),
            )
            if quiet_store(key, entry, mark, response.page_cache) is False:
                # Rendered across a purge: it may show what was there before. Served this
                # once, kept by no shared cache either (Varnish was purged meanwhile).
                patch_cache_control(response, private=True)
        return response


def _assembled(request, response):
    """The response with the fragments it includes put in, unless a Varnish of ours
    asked for the page and it is a public one: Varnish puts them in (and caches them)."""
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return response
    content = response.content
    start = content.find(INCLUDE_START)
    if start < 0:
        return response
    if esi_capable(request) and "public" in response.get("Cache-Control", ""):
        response["Surrogate-Control"] = f'content="{ESI_CAPABILITY}"'
        return response
    parts, keys = [], set(response.get("Surrogate-Key", "").split())
    position = 0
    while start >= 0:
        end = content.find(INCLUDE_END, start)
        if end < 0:
            break
        path = content[start + len(INCLUDE_START) : end].decode()
        html, fragment_keys = _fragment(request, path)
        parts += [content[position:start], html.encode()]
        keys |= fragment_keys
        position = end + len(INCLUDE_END)
        start = content.find(INCLUDE_START, position)
    parts.append(content[position:])
    response.content = b"".join(parts)
    if response.has_header("Content-Length"):  # set by CommonMiddleware, before the includes
        response["Content-Length"] = str(len(response.content))
    if "Surrogate-Key" in response:
        response["Surrogate-Key"] = " ".join(sorted(keys))
    return response


def _includes(content: bytes) -> tuple[str, ...]:
    paths = []
    start = content.find(INCLUDE_START)
    while start >= 0:
        end = content.find(INCLUDE_END, start)
        if end < 0:
            break
        paths.append(content[start + len(INCLUDE_START) : end].decode())
        start = content.find(INCLUDE_START, end)
    return tuple(paths)


def _include_key(request, path: str) -> str:
    digest = hashlib.sha256(path.encode()).hexdigest()
    return f"include:{variant()}:{request.scheme}:{request.get_host()}:{digest}"


def _fragment(request, path: str) -> tuple[str, set[str]]:
    """The fragment a page includes, as Varnish would get it, kept in the cache by its
    keys (with page caching off too, as :func:`cached_fragment` does)."""
    included = getattr(request, "included", {}).get(path)
    if included is not None:  # checked with the page (lookup)
        return included.content.decode(), set(included.keys)
    try:
        match = resolve(path)
    except Resolver404:
        logger.error("A page includes %s, which is not a fragment", path)
        return "", set()
    inner = copy.copy(request)
    inner.path = inner.path_info = path
    inner.method = "GET"
    inner.surrogate_keys = set()
    key = _include_key(request, path)
    entry, mark = quiet_lookup(key)
    if entry is not None:
        return entry.content.decode(), set(entry.keys)
    response = match.func(inner, *match.args, **match.kwargs)
    keys = shown(inner) | {surrogate.ALL}
    if response.status_code == 200 and not resting():
        seconds = getattr(response, "page_cache", 0) or cache_seconds(FRAGMENT_SECONDS)
        quiet_store(key, new_entry(response.content, keys, seconds, status=200), mark, seconds)
    return response.content.decode(), keys


def cached_page(view, *, query: Mapping[str, Canonical] | None = None):
    """Mark a public view's pages for the page cache, with headers fit for a CDN.

    ``query`` maps the query parameters the view reads to how it reads them (a function
    giving each value's canonical form): its pages are cached under the path and those
    alone. ``PageCacheMiddleware`` does the storing and the answering; this adds
    ``Cache-Control`` and ``Surrogate-Key`` (what the view recorded with :func:`shows`,
    and ``all``).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        started = timezone.now()
        response = view(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or not settings.PAGE_CACHE_SECONDS:
            return response
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code not in CACHEABLE_STATUSES or response.streaming:
            return response
        control = response.get("Cache-Control", "")
        if "private" in control or "no-store" in control:
            return response  # the view knows this page is not for sharing
        try:
            seconds = cache_seconds(since=started)
        except DatabaseError:
            return response
        patch_cache_control(
            response,
            public=True,
            max_age=min(settings.BROWSER_CACHE_SECONDS, seconds),
            s_maxage=seconds,
            stale_while_revalidate=settings.PAGE_CACHE_SECONDS,
        )
        response["Surrogate-Key"] = " ".join(sorted(shown(request) | {surrogate.ALL}))
        response.page_cache = seconds
        return response

    wrapper.page_cache_query = dict(query or {})
    return wrapper
