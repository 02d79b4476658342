"""Purging Varnish by surrogate key: what the app calls after a change commits.

:func:`purge` sends ``PURGE`` with an ``xkey-purge: key1 key2`` header to every Varnish in
``settings.VARNISH_PURGE_URLS`` (``deploy/varnish/default.vcl`` turns it into
``xkey.purge``), each Varnish in a thread of its own when there are several, with a short
timeout (:data:`TIMEOUT` seconds per connect and per read). Keys that would make the header
longer than :data:`HEADER_BUDGET` bytes go in several requests. With no Varnish configured
it returns at once.

It never raises: a change is committed whatever Varnish says. A Varnish that is down, slow
or answers anything but 2xx is logged (a warning) and its purge is retried by
:data:`retries`, in a daemon thread, after 1, 2, 4… seconds (at most :data:`MAX_DELAY`
apart), until it succeeds or until nothing the keys marked can still be cached
(twice ``PAGE_CACHE_SECONDS``: the ``s-maxage``, then as long again of
``stale-while-revalidate``); then retrying is pointless and it logs an error saying so.
While a Varnish has purges waiting, new ones for it join them instead of waiting on it
again, so a dead Varnish costs a change one timeout, not one per change.

Tests drive the retries without sleeping: a :class:`Retries` made with
``background=False`` and a clock of their own, put in place of :data:`retries`, keeps what
is owed in :meth:`Retries.pending` and sends it when :meth:`Retries.flush` is called.

The standard library's ``http.client`` does the requests: one short request per Varnish
needs no connection pool or other dependency.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT = 0.5
"""Seconds a purge waits for Varnish to accept the connection, and then for its answer."""
HEADER_BUDGET = 4000
"""The longest ``xkey-purge`` header sent, in bytes (Varnish's limits are far above it)."""
FIRST_DELAY = 1.0
"""Seconds before the first retry; each further retry waits twice as long..."""
MAX_DELAY = 30.0
"""...but never longer than this, so a Varnish back up is purged within half a minute."""
ALL = "all"
"""The key every cacheable response carries: purging it purges everything."""

_KEY = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: one key, as xkey splits


class PurgeFailed(Exception):
    """A Varnish did not take a purge (refused, timed out, or answered non-2xx)."""


def purge(keys: Iterable[str]) -> None:
    """Purge every object carrying any of ``keys`` from every Varnish; never raises.

    Call it after the change has committed. A key that is not printable ASCII without
    spaces cannot be a surrogate key and is logged and left out. When ``all`` is among
    the keys, only ``all`` is sent: every cacheable response carries it.
    """
    urls = settings.VARNISH_PURGE_URLS
    if not urls:
        return
    wanted = _clean(keys)
    if not wanted:
        return
    if len(urls) == 1:
        _purge_one(urls[0], wanted)
        return
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        list(pool.map(lambda url: _purge_one(url, wanted), urls))


def purge_all() -> None:
    """Purge everything the app put in every Varnish (the key ``all``)."""
    purge([ALL])


def _clean(keys: Iterable[str]) -> list[str]:
    wanted = []
    for key in dict.fromkeys(keys):
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            logger.warning("Not a surrogate key, not purged: %r", key)
            continue
        wanted.append(key)
    return [ALL] if ALL in wanted else wanted


def _purge_one(url: str, keys: list[str]) -> None:
    """Purge ``keys`` from the Varnish at ``url`` now, or leave them to :data:`retries`."""
    owed = retries  # the one in place now, even if a test swaps it meanwhile
    if owed.owes(url):
        owed.add(url, keys)
        return
    try:
        send(url, keys)
    except PurgeFailed as error:
        logger.warning("Varnish purge failed, retrying in the background: %s", error)
        owed.add(url, keys)


def batches(keys: Iterable[str], budget: int = HEADER_BUDGET) -> list[str]:
    """The keys as ``xkey-purge`` header values (space-separated), none over ``budget``
    bytes unless a single key is."""
    values, current = [], ""
    for key in keys:
        if current and len(current) + 1 + len(key) > budget:
            values.append(current)
            current = key
        else:
            current = f"{current} {key}" if current else key
    if current:
        values.append(current)
    return values


def send(url: str, keys: Iterable[str]) -> None:
    """Send the ``PURGE`` requests for ``keys`` to the Varnish at ``url`` (e.g.
    ``http://127.0.0.1:6081/``); raises :class:`PurgeFailed` unless every one answered 2xx."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PurgeFailed(f"{url!r} is not an http:// or https:// address")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    for value in batches(keys):
        connection = kind(parts.hostname, parts.port, timeout=TIMEOUT)
        try:
            connection.request("PURGE", parts.path or "/", headers={"xkey-purge": value})
            response = connection.getresponse()
            answer = response.read(200).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException) as error:
            raise PurgeFailed(f"{url}: {error or type(error).__name__}") from error
        finally:
            connection.close()
        if not 200 <= response.status < 300:
            raise PurgeFailed(f"{url} answered {response.status} {answer}")


@dataclass
class PendingPurge:
    """Keys a Varnish still has to purge, and when they are tried next."""

    url: str
    keys: list[str]
    next_try: float
    """When the next attempt is due, by the :class:`Retries`' clock."""
    delay: float
    """How long the attempt after that waits."""
    give_up_at: float
    """When nothing these keys marked can still be cached: retries stop then."""
    attempts: int = 0
    """Retries made so far."""


@dataclass(eq=False)
class Retries:
    """Purges a Varnish did not take, retried with backoff until they succeed or are moot.

    ``clock`` gives the time in seconds (``time.monotonic`` by default); ``background``
    says whether a daemon thread retries by itself, when each purge is due. Without it,
    only :meth:`flush` retries.
    """

    clock: Callable[[], float] = time.monotonic
    background: bool = True
    first_delay: float = FIRST_DELAY
    max_delay: float = MAX_DELAY
    _pending: dict[str, PendingPurge] = field(default_factory=dict, init=False)
    _lock: threading.Condition = field(default_factory=threading.Condition, init=False)
    _round: threading.Lock = field(default_factory=threading.Lock, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def owes(self, url: str) -> bool:
        """Whether purges for this Varnish are waiting to be retried."""
        with self._lock:
            return url in self._pending

    def add(self, url: str, keys: Iterable[str]) -> None:
        """Owe ``keys`` to the Varnish at ``url``, retried from :attr:`first_delay` on."""
        now = self.clock()
        give_up_at = now + 2 * settings.PAGE_CACHE_SECONDS
        with self._lock:
            entry = self._pending.get(url)
            if entry is None:
                first_try = min(now + self.first_delay, give_up_at)
                entry = self._pending[url] = PendingPurge(
                    url, [], first_try, 2 * self.first_delay, give_up_at
                )
            entry.keys = _clean([*entry.keys, *keys])
            entry.give_up_at = max(entry.give_up_at, give_up_at)
            self._lock.notify_all()
            if self.background and self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="varnish-purge-retries", daemon=True
                )
                self._thread.start()

    def pending(self) -> list[PendingPurge]:
        """What is still owed, one entry per Varnish (copies)."""
        with self._lock:
            return [
                PendingPurge(**{**vars(entry), "keys": list(entry.keys)})
                for entry in self._pending.values()
            ]

    def flush(self) -> list[PendingPurge]:
        """Retry every owed purge now, due or not; what is still owed afterwards."""
        self._retry(due_only=False)
        return self.pending()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    self._lock.wait()
                wait = min(entry.next_try for entry in self._pending.values()) - self.clock()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
            self._retry(due_only=True)

    def _retry(self, *, due_only: bool) -> None:
        with self._round:  # the thread and flush() never send the same keys twice at once
            now = self.clock()
            with self._lock:
                due = [
                    (entry.url, list(entry.keys))
                    for entry in self._pending.values()
                    if not due_only or entry.next_try <= now
                ]
            for url, keys in due:
                try:
                    send(url, keys)
                except PurgeFailed as error:
                    self._failed(url, error)
                else:
                    self._succeeded(url, keys)

    def _succeeded(self, url: str, keys: list[str]) -> None:
        with self._lock:
            entry = self._pending.get(url)
            left = [key for key in entry.keys if key not in keys] if entry else []
            if entry and left:
                entry.keys = left  # added while this retry was on its way: next time
                entry.next_try = self.clock()
            else:
                self._pending.pop(url, None)
        logger.warning("Varnish purge retried and done: %s", url)

    def _failed(self, url: str, error: PurgeFailed) -> None:
        now = self.clock()
        with self._lock:
            entry = self._pending[url]
            entry.attempts += 1
            if now >= entry.give_up_at:
                del self._pending[url]
                logger.error(
                    "Gave up purging %s from Varnish: %s. Whatever those keys marked has "
                    "expired from its cache by now (twice PAGE_CACHE_SECONDS), so retrying is "
                    "pointless.",
                    " ".join(entry.keys),
                    error,
                )
                return
            entry.next_try = min(now + entry.delay, entry.give_up_at)
            entry.delay = min(entry.delay * 2, self.max_delay)
        logger.warning("Varnish purge retry %s failed: %s", entry.attempts, error)


retries = Retries()
"""The purges this process owes; tests may put a :class:`Retries` of their own here."""
