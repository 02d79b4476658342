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
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache, wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpResponse
from django.urls import Resolver404, get_script_prefix, get_urlconf, resolve
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from redis import RedisError

from articles.models import Story
from articles.site import keys as surrogate

logger = logging.getLogger(__name__)

PURGE_MARK = "purge:mark"
NEXT_SCHEDULED = "schedule:next"
FOREVER = None
# A cache that failed is left alone this long, so a hung Redis costs one short timeout
# now and then instead of one on every request.
REST_SECONDS = 5
ESI_CAPABILITY = "ESI/1.0"
INCLUDE = '<esi:include src="{}"/>'
INCLUDE_START = b'<esi:include src="'
INCLUDE_END = b'"/>'

# A process trusts the key versions it read for this long: under load most hits then cost
# no trip to the cache, and another process's purge reaches this one within the time.
VERSIONS_TRUSTED_SECONDS = 0.1
VERSIONS_REMEMBERED = 100_000

_rest_until = 0.0
_versions_seen: dict[str, tuple[str | None, float]] = {}  # name: (version, when read)
_owed: set[str] = set()  # keys a purge could not reach the cache with: purged on next use
_owed_lock = threading.Lock()


def cache_errors() -> tuple[type[BaseException], ...]:
    """What a cache that is away raises: the network's errors, and Redis's own."""
    return (OSError, RedisError)


def _resting() -> bool:
    return time.monotonic() < _rest_until


def _rest(error: BaseException) -> None:
    global _rest_until
    _rest_until = time.monotonic() + REST_SECONDS
    logger.warning("Page cache unavailable for %ss, serving uncached: %s", REST_SECONDS, error)


def _now() -> float:
    """The time of entries, from the clock the site's other times come from."""
    return timezone.now().timestamp()


def _token() -> str:
    return f"{time.time_ns():x}.{secrets.token_hex(4)}"


def _version_name(key: str) -> str:
    return f"key:{key}"


def shows(request, *keys: str) -> None:
    """Record that the response to ``request`` shows what ``keys`` name."""
    if request is None:
        return
    if not hasattr(request, "surrogate_keys"):
        request.surrogate_keys = set()
    request.surrogate_keys.update(keys)


def shown(request) -> set[str]:
    return set(getattr(request, "surrogate_keys", ()))


def purge(keys: Iterable[str]) -> None:
    """Make every response cached by Django that shows one of ``keys`` a miss from now on
    (call it after the change is committed: ``articles.services.effects`` does).

    A cache that is away does not fail the change that called it: the keys are owed, and
    this process purges them as soon as it reads the cache again.
    """
    keys = set(keys)
    with _owed_lock:
        keys |= _owed
        _owed.clear()
    if not keys:
        return
    if settings.PAGE_CACHE_PURGE == "everything":
        keys = {surrogate.ALL}
    token = _token()
    try:
        cache.set(PURGE_MARK, token, FOREVER)  # first: see the module's docstring
        cache.set_many({_version_name(key): token for key in keys}, FOREVER)
        cache.delete(NEXT_SCHEDULED)
        for key in keys:  # this process sees its own purges at once
            _versions_seen.pop(_version_name(key), None)
    except cache_errors() as error:
        with _owed_lock:
            _owed.update(keys)
        logger.error("Could not purge %s cached keys (will retry): %s", len(keys), error)


def _pay_owed() -> None:
    if _owed:
        purge(())


@dataclass(frozen=True)
class Entry:
    """A cached response (``status`` and ``headers`` None for a fragment), with the versions
    of its keys when it was rendered."""

    status: int | None
    headers: dict | None
    content: bytes | str
    keys: tuple[str, ...]
    versions: tuple[str, ...]
    stored_at: float
    expires: float
    includes: tuple[str, ...] = ()
    """The paths of the fragments a page includes (:func:`include`)."""


def _lookup(key: str, request=None) -> tuple[Entry | None, str | None]:
    """The current entry under ``key`` (or None), and the purge mark as it is now (None
    when the entry came from this process's memory).

    Given the request, the fragments the page includes that this process has in memory
    are checked in the same trip to the cache, and kept on the request for
    :func:`_assembled` (``request.included``): a hit then costs one trip, not one per
    include."""
    entry = recent_pages.get(key)
    if entry is not None:
        fragments = {}
        if request is not None:
            for path in entry.includes:
                fragment = recent_pages.get(_include_key(request, path))
                if fragment is not None:
                    fragments[path] = fragment
        # A Varnish of ours keeps what it gets for minutes: it gets versions read now.
        trusted = request is None or not esi_capable(request)
        current = _current([entry, *fragments.values()], trusted=trusted)
        if current[0]:
            if request is not None:
                request.included = {
                    path: fragment
                    for (path, fragment), ok in zip(fragments.items(), current[1:], strict=True)
                    if ok
                }
            return entry, None
    found = cache.get_many([key, PURGE_MARK])
    entry, mark = found.get(key), found.get(PURGE_MARK)
    if mark is None:  # never made, or evicted: a page is stored only under a known mark
        cache.add(PURGE_MARK, _token(), FOREVER)
        mark = cache.get(PURGE_MARK)
    if entry is not None and entry.expires > _now() and _current([entry], trusted=False)[0]:
        recent_pages.put(key, entry)
        return entry, mark
    return None, mark


def _entry(content, keys, seconds: int, **response) -> Entry:
    """An entry to store (its keys' versions are read by :func:`_store`)."""
    now = _now()
    return Entry(
        response.get("status"),
        response.get("headers"),
        content,
        tuple(sorted(keys)),
        (),
        now,
        now + seconds,
        includes=response.get("includes", ()),
    )


def _quiet_lookup(key: str) -> tuple[Entry | None, str | None]:
    """:func:`_lookup`, or nothing while the cache is away (it rests then)."""
    if _resting():
        return None, None
    try:
        return _lookup(key)
    except cache_errors() as error:
        _rest(error)
        return None, None


def _quiet_store(key: str, entry: Entry, mark: str | None, seconds: int) -> bool | None:
    """:func:`_store`, unless the cache is away (it rests then: None)."""
    if _resting():
        return None
    try:
        return _store(key, entry, mark, seconds)
    except cache_errors() as error:
        _rest(error)
        return None


def _current(entries: list[Entry], *, trusted: bool = True) -> list[bool]:
    """Whether each entry's keys still have the versions it was stored with: at most one
    read of the cache, for the versions this process has not read in the last
    ``VERSIONS_TRUSTED_SECONDS`` (all of them, not ``trusted``)."""
    now = time.monotonic()
    known, unknown = {}, []
    for name in {_version_name(key) for entry in entries for key in entry.keys}:
        seen = _versions_seen.get(name)
        if trusted and seen is not None and now - seen[1] < VERSIONS_TRUSTED_SECONDS:
            known[name] = seen[0]
        else:
            unknown.append(name)
    if unknown:
        found = cache.get_many(unknown)
        for name in unknown:
            known[name] = found.get(name)
        _remember_versions({name: known[name] for name in unknown}, now)
    return [
        all(
            known[_version_name(key)] == version
            for key, version in zip(entry.keys, entry.versions, strict=True)
        )
        for entry in entries
    ]


def _remember_versions(versions: dict[str, str | None], now: float) -> None:
    if len(_versions_seen) > VERSIONS_REMEMBERED:
        _versions_seen.clear()
    for name, version in versions.items():
        _versions_seen[name] = (version, now)


def _versions(keys: tuple[str, ...], mark: str | None) -> tuple[str, ...] | None:
    """The versions of ``keys`` now (made for keys that have none yet), or None if a purge
    came after ``mark`` was read: what was rendered since may already be out of date."""
    names = [_version_name(key) for key in keys]
    found = cache.get_many(names)
    missing = [name for name in names if name not in found]
    if missing:
        token = _token()
        for name in missing:
            cache.add(name, token, FOREVER)  # add: keeps one another process made meanwhile
        found.update(cache.get_many(missing))
    if mark is None or cache.get(PURGE_MARK) != mark or any(n not in found for n in names):
        return None
    _remember_versions({name: found[name] for name in names}, time.monotonic())
    return tuple(found[name] for name in names)


def _store(key: str, entry: Entry, mark: str | None, seconds: int) -> bool:
    """Keep the entry, unless a purge came since ``mark`` was read (False)."""
    versions = _versions(entry.keys, mark)
    if versions is None:
        return False
    entry = replace(entry, versions=versions)
    recent_pages.put(key, entry)
    cache.set(key, entry, seconds)
    return True


def cache_seconds(seconds: int | None = None, *, since=None) -> int:
    """How long a response rendered since ``since`` (now, unless told) may be kept:
    ``seconds`` (``PAGE_CACHE_SECONDS`` unless told), and no later than the time of the
    first story scheduled after ``since``: one that came out while the page rendered
    leaves it a second to live."""
    seconds = settings.PAGE_CACHE_SECONDS if seconds is None else seconds
    if not seconds:
        return 0
    now = timezone.now()
    since = since or now
    try:
        known = cache.get(NEXT_SCHEDULED)
    except cache_errors():
        known = None
    # (when it was read, the first story scheduled after then)
    if known is not None and known[0] <= since and (known[1] is None or known[1] > since):
        upcoming = known[1]
    else:
        try:
            mark = cache.get(PURGE_MARK)
        except cache_errors():
            mark = None
        upcoming = (
            Story.objects.scheduled(at=since)
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        try:  # unless a purge (a story scheduled, say) came while it was read
            if mark is not None and cache.get(PURGE_MARK) == mark:
                cache.set(NEXT_SCHEDULED, (since, upcoming), seconds)
        except cache_errors():
            pass
    if upcoming is not None:
        seconds = min(seconds, max(1, int((upcoming - now).total_seconds())))
    return seconds


def _variant() -> str:
    """What else a fragment's HTML depends on: the script prefix and URL configuration
    (its links), the time zone and the language (its dates)."""
    return _digest(
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
        get_current_timezone_name(),
        get_language(),
    )


@lru_cache(maxsize=64)
def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def cached_fragment(request, name: str, render: Callable[[set[str]], str]) -> str:
    """The HTML ``render(keys)`` gives (adding to ``keys`` what it shows), kept in the
    cache until one of those keys is purged; the keys go to the page's too.

    Its entry also depends on what else the HTML does: the script prefix and URL
    configuration (its links), the time zone and the language (its dates). With the cache
    away (or resting) it is rendered every time.
    """
    key = f"fragment:{name}:{_variant()}"
    entry, mark = _quiet_lookup(key)
    if entry is not None:
        shows(request, *entry.keys)
        return entry.content
    keys: set[str] = {surrogate.ALL}
    html = render(keys)
    shows(request, *keys)
    if not _resting():
        seconds = cache_seconds(settings.PAGE_CACHE_SECONDS or FRAGMENT_SECONDS)
        _quiet_store(key, _entry(html, keys, seconds), mark, seconds)
    return html


# Fragments are kept this long with page caching off (PAGE_CACHE_SECONDS=0).
FRAGMENT_SECONDS = 300


class _RecentPages:
    """The entries this process used lately, in memory, within a byte budget: a hit then
    costs one read of its keys' versions rather than the page's bytes too."""

    def __init__(self, budget: int, largest: int):
        self.budget = budget
        self.largest = largest
        self.size = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires < _now():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        if len(entry.content) > self.largest:
            return  # a big sitemap or feed: the shared cache keeps it, this process need not
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self.size += len(entry.content)
            while self.size > self.budget:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        self.size -= len(self._entries.pop(key).content)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0


recent_pages = _RecentPages(budget=32 * 1024 * 1024, largest=256 * 1024)


def forget() -> None:
    """Forget what this process keeps of the cache (its pages, the versions it read), as a
    new process would start: for tests, and after the cache was emptied by hand."""
    recent_pages.clear()
    _versions_seen.clear()


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
        if not settings.PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD") or _resting():
            return self.get_response(request)
        # Without a query string the key is the path, whatever the view: resolving it would
        # be a good part of what a hit costs; only views marked by cached_page are stored.
        query = page_query(request) if request.META.get("QUERY_STRING") else {}
        if query is None:
            return self.get_response(request)
        key = _page_key(request, query)
        try:
            _pay_owed()
            entry, mark = _lookup(key, request)
        except cache_errors() as error:
            _rest(error)
            return self.get_response(request)
        if entry is not None:
            response = HttpResponse(entry.content, status=entry.status, headers=entry.headers)
            response["Age"] = str(max(0, int(_now() - entry.stored_at)))
            return response
        response = self.get_response(request)
        if _storable(response):
            headers = dict(response.items())
            page_keys = headers.get("Surrogate-Key", "").split()
            entry = _entry(
                response.content,
                page_keys,
                response.page_cache,
                status=response.status_code,
                headers=headers,
                includes=_includes(response.content),
            )
            if _quiet_store(key, entry, mark, response.page_cache) is False:
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
    return f"include:{_variant()}:{request.scheme}:{request.get_host()}:{digest}"


def _fragment(request, path: str) -> tuple[str, set[str]]:
    """The fragment a page includes, as Varnish would get it, kept in the cache by its
    keys (with page caching off too, as :func:`cached_fragment` does)."""
    included = getattr(request, "included", {}).get(path)
    if included is not None:  # checked with the page (_lookup)
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
    entry, mark = _quiet_lookup(key)
    if entry is not None:
        return entry.content.decode(), set(entry.keys)
    response = match.func(inner, *match.args, **match.kwargs)
    keys = shown(inner) | {surrogate.ALL}
    if response.status_code == 200 and not _resting():
        seconds = getattr(response, "page_cache", 0) or cache_seconds(FRAGMENT_SECONDS)
        _quiet_store(key, _entry(response.content, keys, seconds, status=200), mark, seconds)
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
        if response.status_code != 200 or response.streaming:
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
