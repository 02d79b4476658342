"""Caching of public pages, and making every cached page current the moment content changes.

Every public response (pages, feeds, sitemaps, API) is stored under a key that includes the
site's *content generation*, a number in the cache. Any change readers could see (publish,
edit, unpublish, delete, a tag merge) bumps it after the transaction commits, so every
cached page is replaced at once: no list of dependent URLs to forget. A scheduled story
needs no change to appear: the time of the next scheduled story is kept beside the
generation, and the first request after it bumps the generation itself.

A page is kept under its path and only the query parameters its view reads (``before`` and
``after`` on lists, say, declared with ``cached_page(view, query=...)``), each in the one
form the view reads it: the last value given, written canonically (``007`` is ``7``), and
every value the view cannot use counted as one. So tracking parameters (``utm_*``,
``fbclid``), any other noise, and made-up or padded values of the parameters a page does
read share one entry each: they can neither force a render per request nor fill the cache.
An address with a query string that is not a cached page (the admin, a 404) never touches
the cache.

Shared caches (a CDN, a proxy) get ``s-maxage`` and ``stale-while-revalidate``; browsers get
a short ``max-age``, an ``ETag`` and a ``Last-Modified`` (the time of the last change), and
Django's ConditionalGetMiddleware answers their revalidations with 304.

Fragments (the sidebar's latest news, which every page shows; a story's related stories) are
kept the same way, under the content token (``cached_fragment``): rendered once per change,
not once per page, and current the moment content changes, with page caching off too.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpResponse
from django.urls import Resolver404, get_script_prefix, get_urlconf, resolve
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from redis import RedisError

from articles.models import Story

logger = logging.getLogger(__name__)

# The content state, in one key written at once: (token, time of the last change, time of
# the next scheduled story). The token is new at every change and never reused, so a page
# kept under an old token (in Redis, in a process's memory, in a snapshot Redis reloaded
# after a crash) can never pass for current.
STATE = "content:state"
FOREVER = None
# A fragment outlives no deploy by long: its key names the content, not the templates.
FRAGMENT_SECONDS = 300
# A cache that failed is left alone this long, so a hung Redis costs one short timeout
# now and then instead of one on every request.
REST_SECONDS = 5

_rest_until = 0.0
_owed = threading.Event()  # an invalidation the cache could not take: made on next read


def cache_errors() -> tuple[type[BaseException], ...]:
    """What a cache that is away raises: the network's errors, and Redis's own."""
    return (OSError, RedisError)


def _resting() -> bool:
    return time.monotonic() < _rest_until


def _rest(error: BaseException) -> None:
    global _rest_until
    _rest_until = time.monotonic() + REST_SECONDS
    logger.warning("Page cache unavailable for %ss, serving uncached: %s", REST_SECONDS, error)


def invalidate() -> None:
    """Make every cached public page stale now (call it after the change is committed).

    A cache that is away does not fail the change that called it: the invalidation is
    owed, and this process makes it as soon as it reads the cache again.
    """
    now = timezone.now()
    upcoming = (
        Story.objects.scheduled(at=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    token = f"{time.time_ns():x}.{secrets.token_hex(4)}"
    try:
        cache.set(STATE, (token, now, upcoming), FOREVER)
    except cache_errors() as error:
        _owed.set()
        logger.error("Could not invalidate cached pages (will retry): %s", error)
        return
    _owed.clear()
    if tracker := _tracker():
        tracker.forget()  # this process at once; the others when Redis tells them


def _tracker():
    """The process's memory of the content state, when the cache can keep it current."""
    return cache.tracker(STATE) if hasattr(cache, "tracker") else None


def _state() -> tuple[str, datetime]:
    """The current (token, time of the last change); raises what the cache raises."""
    tracker = _tracker()
    state = tracker.remembered() if tracker else None
    if state is None:
        epoch = tracker.epoch if tracker else 0
        state = cache.get(STATE)
        if tracker and state is not None:
            tracker.remember(state, epoch)
    if state is None or _owed.is_set() or (state[2] and state[2] <= timezone.now()):
        invalidate()  # the first request after a scheduled story's time brings it in
        state = cache.get(STATE)
        if state is None:
            raise OSError("the cache did not keep the content state")
    return state[0], state[1]


def cached_fragment(request, name: str, render: Callable[[], str]) -> str:
    """The HTML ``render()`` gives, kept in the cache for the current content state.

    Its key holds the content token, so any change readers could see makes it current at
    once, as it does every page; and what else the HTML depends on: the script prefix and
    URL configuration (its links), the time zone and the language (its dates). With the
    cache away (or resting) it is rendered every time.

    Like a page, a fragment is also kept in this process's memory: a key names one
    token's HTML, which never changes, so reading it again costs no trip to the cache.
    """
    token = _content_token(request)
    if token is None:
        return render()
    variant = f"{get_script_prefix()}|{get_urlconf() or settings.ROOT_URLCONF}|"
    variant += f"{get_current_timezone_name()}|{get_language()}"
    digest = hashlib.sha256(variant.encode()).hexdigest()[:32]
    key = f"fragment:{name}:{token}:{digest}"
    entry = recent_fragments.get(key)
    if entry is not None:
        return entry[2]
    try:
        html = cache.get(key)
    except cache_errors() as error:
        _rest(error)
        return render()
    if html is None:
        html = render()
        try:
            cache.set(key, html, FRAGMENT_SECONDS)
        except cache_errors() as error:
            _rest(error)
            return html
    recent_fragments.put(key, (None, None, html, time.time() + FRAGMENT_SECONDS))
    return html


def _content_token(request) -> str | None:
    """The token the page cache read for this request, or the current one (read once per
    request, however many fragments the page has); None when the cache cannot say."""
    if request is None:
        return _current_token()
    if hasattr(request, "content_state"):
        state = request.content_state
        return state[0] if state else None
    if not hasattr(request, "fragment_token"):
        request.fragment_token = _current_token()
    return request.fragment_token


def _current_token() -> str | None:
    if _resting():
        return None
    try:
        return _state()[0]
    except cache_errors() as error:
        _rest(error)
    except DatabaseError:  # the page will meet it too, and answer 503
        pass
    return None


class _RecentPages:
    """The pages (and fragments) this process served lately, in memory, within a byte budget.

    A page key names one content token's bytes, which never change, so only the page's
    own expiry (kept in the entry, the same on every server) and the budget apply. An entry
    is (status, headers, content, expires); a fragment's is (None, None, html, expires).
    """

    def __init__(self, budget: int, largest: int):
        self.budget = budget
        self.largest = largest
        self.size = 0
        self._entries: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[3] < time.time():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: tuple) -> None:
        if len(entry[2]) > self.largest:
            return  # a big sitemap or feed: Redis keeps it, this process need not
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self.size += len(entry[2])
            while self.size > self.budget:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        self.size -= len(self._entries.pop(key)[2])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0


recent_pages = _RecentPages(budget=32 * 1024 * 1024, largest=256 * 1024)
recent_fragments = _RecentPages(budget=4 * 1024 * 1024, largest=64 * 1024)


Canonical = Callable[[str], str]
"""A query value in the one form its view reads it, or :data:`UNUSABLE`."""
UNUSABLE = "-"


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


def _page_key(request, token: str, query: Mapping[str, Canonical]) -> str:
    # The last value, as request.GET.get() gives the view.
    used = urlencode(
        sorted(
            (name, canonical(request.GET[name]))
            for name, canonical in query.items()
            if name in request.GET
        )
    )
    digest = hashlib.sha256(f"{request.path}?{used}".encode()).hexdigest()
    return f"response:{token}:{request.scheme}:{request.get_host()}:{digest}"


def _storable(response) -> bool:
    """Only a plain 200 that is the same for every reader: no cookie, nothing private, no
    variation but the encoding."""
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",")} - {""}
    return (
        getattr(response, "page_cache", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and vary <= {"accept-encoding"}
    )


class PageCacheMiddleware:
    """Answers public pages from the cache before sessions, CSRF, auth and messages run.

    It sits right after WhiteNoise (and conditional GET, which turns hits into 304s), so a
    cached page costs about what a static file costs. Only responses of views wrapped in
    ``cached_page`` are stored, as bytes and headers, exactly as they left the inner
    middleware, under a key holding the content token read *before* the view ran: a
    change committed while a page renders leaves that page under the old token.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.PAGE_CACHE_SECONDS
        if not seconds or request.method not in ("GET", "HEAD") or _resting():
            return self.get_response(request)
        # Without a query string the key is the path, whatever the view: resolving it would
        # be a good part of what a hit costs; only views marked by cached_page are stored.
        query = page_query(request) if request.META.get("QUERY_STRING") else {}
        if query is None:
            return self.get_response(request)
        try:
            request.content_state = _state()
            key = _page_key(request, request.content_state[0], query)
            entry = recent_pages.get(key)
            if entry is None:
                entry = cache.get(key)
                if entry is not None:
                    recent_pages.put(key, entry)
        except cache_errors() as error:
            request.content_state = None
            _rest(error)
            return self.get_response(request)
        except DatabaseError:  # the view will meet it too, and answer 503
            request.content_state = None
            return self.get_response(request)
        if entry is not None:
            status, headers, content, _expires = entry
            return HttpResponse(content, status=status, headers=headers)
        response = self.get_response(request)
        if _storable(response):
            entry = (response.status_code, dict(response.items()), response.content)
            entry += (time.time() + seconds,)
            recent_pages.put(key, entry)
            try:
                cache.set(key, entry, seconds)
            except cache_errors() as error:
                _rest(error)
        return response


def cached_page(view, *, query: Mapping[str, Canonical] | None = None):
    """Mark a public view's pages for the page cache, with headers fit for a CDN.

    ``query`` maps the query parameters the view reads to how it reads them (a function
    giving each value's canonical form): its pages are cached under the path and those
    alone. ``PageCacheMiddleware`` does the storing and the answering; this
    adds ``ETag``, ``Last-Modified`` (the time of the last change) and ``Cache-Control``.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        seconds = settings.PAGE_CACHE_SECONDS
        if request.method not in ("GET", "HEAD") or not seconds:
            return response
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code != 200 or response.streaming:
            return response
        state = getattr(request, "content_state", None)
        if state is None:
            return response  # the page cache is off or away: nothing to promise a CDN
        control = response.get("Cache-Control", "")
        if "private" in control or "no-store" in control:
            return response  # the view knows this page is not for sharing
        changed_at = state[1]
        response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response["Last-Modified"] = http_date(changed_at.timestamp())
        patch_cache_control(
            response,
            public=True,
            max_age=settings.BROWSER_CACHE_SECONDS,
            s_maxage=seconds,
            stale_while_revalidate=seconds,
        )
        response.page_cache = True
        return response

    wrapper.page_cache_query = dict(query or {})
    return wrapper
