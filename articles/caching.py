"""Caching of public pages, and making every cached page current the moment content changes.

Every public response (pages, feeds, sitemaps, API) is stored under a key that includes the
site's *content generation*, a number in the cache. Any change readers could see (publish,
edit, unpublish, delete, a tag merge) bumps it after the transaction commits, so every
cached page is replaced at once: no list of dependent URLs to forget. A scheduled story
needs no change to appear: the time of the next scheduled story is kept beside the
generation, and the first request after it bumps the generation itself.

Shared caches (a CDN, a proxy) get ``s-maxage`` and ``stale-while-revalidate``; browsers get
a short ``max-age``, an ``ETag`` and a ``Last-Modified`` (the time of the last change), and
Django's ConditionalGetMiddleware answers their revalidations with 304.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date

logger = logging.getLogger(__name__)

STATE_PREFIX = "content:"
GENERATION = "content:generation"
CHANGED_AT = "content:changed-at"
NEXT_SCHEDULED = "content:next-scheduled"
FOREVER = None


def invalidate() -> None:
    """Make every cached public page stale now (call it after the change is committed)."""
    from articles.models import Story

    now = timezone.now()
    upcoming = (
        Story.objects.filter(status=Story.Status.PUBLISHED, published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    try:
        cache.incr(GENERATION)
    except ValueError:
        # Started afresh (a new or flushed cache): from a number never used before, so no
        # page kept by a process under an old generation can match.
        cache.set(GENERATION, time.time_ns(), FOREVER)
    cache.set_many({CHANGED_AT: now, NEXT_SCHEDULED: upcoming}, FOREVER)
    if tracker := _tracker():
        tracker.forget()  # this process at once; the others when Redis tells them


def invalidate_on_commit() -> None:
    """Invalidate now and again once the change is committed.

    The second bump is the one that counts: a request served between the two may have
    cached the old content under the first. The first keeps a single request's own
    follow-up reads (and tests, whose transactions never commit) current.
    """
    invalidate()
    transaction.on_commit(invalidate)


def _tracker():
    """The process's memory of the content state, when the cache can keep it current."""
    return cache.tracker(STATE_PREFIX) if hasattr(cache, "tracker") else None


def _state() -> tuple[int, datetime]:
    tracker = _tracker()
    values = tracker.remembered() if tracker else None
    if values is None:
        epoch = tracker.epoch if tracker else 0
        values = cache.get_many([GENERATION, CHANGED_AT, NEXT_SCHEDULED])
        if tracker and GENERATION in values:
            tracker.remember(values, epoch)
    upcoming = values.get(NEXT_SCHEDULED)
    if GENERATION not in values or (upcoming and upcoming <= timezone.now()):
        invalidate()
        values = cache.get_many([GENERATION, CHANGED_AT])
    return values.get(GENERATION, 0), values.get(CHANGED_AT) or timezone.now()


class _RecentPages:
    """The pages this process served lately, in memory: a page key names one generation's
    bytes, which never change, so only the time limit and the size bound apply."""

    def __init__(self, size: int, largest: int):
        self.size = size
        self.largest = largest
        self._entries: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: str, entry: tuple, seconds: int) -> None:
        if len(entry[2]) > self.largest:
            return  # a big sitemap or feed: Redis keeps it, this process need not
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, entry)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


recent_pages = _RecentPages(size=500, largest=256 * 1024)


def _page_key(request, generation: int) -> str:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"response:{generation}:{request.scheme}:{request.get_host()}:{digest}"


def _storable(response) -> bool:
    """Only a plain 200 that is the same for every reader: no cookie, no Vary on them."""
    return (
        getattr(response, "page_cache", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "cookie" not in response.get("Vary", "").lower()
    )


class PageCacheMiddleware:
    """Answers public pages from the cache before sessions, CSRF, auth and messages run.

    It sits right after WhiteNoise (and conditional GET, which turns hits into 304s), so a
    cached page costs about what a static file costs. Only responses of views wrapped in
    ``cached_page`` are stored, as bytes and headers, exactly as they left the inner
    middleware, under a key holding the content generation read *before* the view ran: a
    change committed while a page renders leaves that page under the old generation.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.PAGE_CACHE_SECONDS
        if not seconds or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        try:
            request.content_state = _state()
            key = _page_key(request, request.content_state[0])
            entry = recent_pages.get(key)
            if entry is None:
                entry = cache.get(key)
                if entry is not None:
                    recent_pages.put(key, entry, seconds)
        except Exception as error:  # the cache (or the database) is away: serve uncached
            logger.warning("Page cache unavailable, serving uncached: %s", error)
            return self.get_response(request)
        if entry is not None:
            status, headers, content = entry
            return HttpResponse(content, status=status, headers=headers)
        response = self.get_response(request)
        if _storable(response):
            entry = (response.status_code, dict(response.items()), response.content)
            recent_pages.put(key, entry, seconds)
            try:
                cache.set(key, entry, seconds)
            except Exception as error:
                logger.warning("Page cache unavailable, page not shared: %s", error)
        return response


def cached_page(view):
    """Mark a public view's pages for the page cache, with headers fit for a CDN.

    ``PageCacheMiddleware`` does the storing and the answering; this adds ``ETag``,
    ``Last-Modified`` (the time of the last change) and ``Cache-Control``.
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

    return wrapper
