"""Django's cache of public responses by surrogate key: entries, key versions, purges.

Each surrogate key (``articles.site.keys``) has a *version* in the cache, a random token;
an :class:`Entry` keeps a response's bytes with the versions of its keys when it was
rendered, and :func:`purge` gives each purged key a new version. An entry whose keys all
still have the versions it was stored with is current; otherwise it is a miss. This works
on any cache backend. ``articles.site.caching`` serves pages from it; its docstring tells
the whole design (the purge mark, the trusted versions, the includes)."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
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


def resting() -> bool:
    return time.monotonic() < _rest_until


def rest(error: BaseException) -> None:
    global _rest_until
    _rest_until = time.monotonic() + REST_SECONDS
    logger.warning("Page cache unavailable for %ss, serving uncached: %s", REST_SECONDS, error)


def clock() -> float:
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


def pay_owed() -> None:
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


def lookup(
    key: str,
    *,
    companions: Callable[[Entry], dict[str, str]] | None = None,
    trusted: bool = True,
) -> tuple[Entry | None, str | None, dict[str, Entry]]:
    """The current entry under ``key`` (or None), the purge mark as it is now (None when
    the entry came from this process's memory), and its current companions.

    ``companions(entry)`` names other entries (a page's includes: name to key) to check in
    the same trip to the cache when this process has them all in memory: a hit then costs
    one trip, not one per include. ``trusted``: whether versions read a moment ago will do
    (``VERSIONS_TRUSTED_SECONDS``)."""
    entry = recent_pages.get(key)
    if entry is not None:
        others = {}
        for name, other_key in (companions(entry) if companions else {}).items():
            other = recent_pages.get(other_key)
            if other is not None:
                others[name] = other
        current = _current([entry, *others.values()], trusted=trusted)
        if current[0]:
            pairs = zip(others.items(), current[1:], strict=True)
            return entry, None, {name: other for (name, other), ok in pairs if ok}
    found = cache.get_many([key, PURGE_MARK])
    entry, mark = found.get(key), found.get(PURGE_MARK)
    if mark is None:  # never made, or evicted: a page is stored only under a known mark
        cache.add(PURGE_MARK, _token(), FOREVER)
        mark = cache.get(PURGE_MARK)
    if entry is not None and entry.expires > clock() and _current([entry], trusted=False)[0]:
        recent_pages.put(key, entry)
        return entry, mark, {}
    return None, mark, {}


def new_entry(content, keys, seconds: int, **response) -> Entry:
    """An entry to store (its keys' versions are read by :func:`_store`)."""
    now = clock()
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


def quiet_lookup(key: str) -> tuple[Entry | None, str | None]:
    """:func:`lookup`, or nothing while the cache is away (it rests then)."""
    if resting():
        return None, None
    try:
        return lookup(key)[:2]
    except cache_errors() as error:
        rest(error)
        return None, None


def quiet_store(key: str, entry: Entry, mark: str | None, seconds: int) -> bool | None:
    """:func:`_store`, unless the cache is away (it rests then: None)."""
    if resting():
        return None
    try:
        return _store(key, entry, mark, seconds)
    except cache_errors() as error:
        rest(error)
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
    ``seconds`` (``PAGE_CACHE_SECONDS`` unless told), and no later than the time the first
    story scheduled or embargoed after ``since`` comes out: one that came out while the
    page rendered leaves it a second to live."""
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
        upcoming = Story.objects.next_public_time(since)
        try:  # unless a purge (a story scheduled, say) came while it was read
            if mark is not None and cache.get(PURGE_MARK) == mark:
                cache.set(NEXT_SCHEDULED, (since, upcoming), seconds)
        except cache_errors():
            pass
    if upcoming is not None:
        seconds = min(seconds, max(1, int((upcoming - now).total_seconds())))
    return seconds


def variant() -> str:
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
    key = f"fragment:{name}:{variant()}"
    entry, mark = quiet_lookup(key)
    if entry is not None:
        shows(request, *entry.keys)
        return entry.content
    keys: set[str] = {surrogate.ALL}
    html = render(keys)
    shows(request, *keys)
    if not resting():
        seconds = cache_seconds(settings.PAGE_CACHE_SECONDS or FRAGMENT_SECONDS)
        quiet_store(key, new_entry(html, keys, seconds), mark, seconds)
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
            if entry.expires < clock():
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
