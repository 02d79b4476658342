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
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date

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
        cache.set(GENERATION, 1, FOREVER)
    cache.set_many({CHANGED_AT: now, NEXT_SCHEDULED: upcoming}, FOREVER)


def invalidate_on_commit() -> None:
    """Invalidate now and again once the change is committed.

    The second bump is the one that counts: a request served between the two may have
    cached the old content under the first. The first keeps a single request's own
    follow-up reads (and tests, whose transactions never commit) current.
    """
    invalidate()
    transaction.on_commit(invalidate)


def _state() -> tuple[int, datetime]:
    values = cache.get_many([GENERATION, CHANGED_AT, NEXT_SCHEDULED])
    upcoming = values.get(NEXT_SCHEDULED)
    if GENERATION not in values or (upcoming and upcoming <= timezone.now()):
        invalidate()
        values = cache.get_many([GENERATION, CHANGED_AT])
    return values.get(GENERATION, 0), values.get(CHANGED_AT) or timezone.now()


def cached_page(view):
    """Serve a public view from the cache, keyed by content generation and full URL."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        seconds = settings.PAGE_CACHE_SECONDS
        if request.method not in ("GET", "HEAD") or not seconds:
            return view(request, *args, **kwargs)
        generation, changed_at = _state()
        digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"page:{generation}:{request.scheme}:{request.get_host()}:{digest}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code != 200 or response.streaming:
                return response
            response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
            response["Last-Modified"] = http_date(changed_at.timestamp())
            patch_cache_control(
                response,
                public=True,
                max_age=settings.BROWSER_CACHE_SECONDS,
                s_maxage=seconds,
                stale_while_revalidate=seconds,
            )
            cache.set(key, response, seconds)
        return response

    return wrapper
