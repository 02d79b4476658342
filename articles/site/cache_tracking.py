"""Redis for the page cache: clients reused, and the content state remembered per process.

Every public request first reads the *content state* (see ``articles.site.caching``). Asking
Redis for it each time costs a round trip, which on a busy server is most of what a cached
page costs. So each process keeps the last state it read, and Redis itself says when to
forget it: server-assisted client caching (``CLIENT TRACKING … BCAST PREFIX``, Redis 6+),
with the invalidation messages redirected to a connection that a background thread
listens on. A change made on any app server reaches every other one in the time a message
takes on the network.

redis-py's own client-side cache would do this, but it refuses servers older than 7.4; the
protocol used here is the one Redis 6.0 introduced, so Debian's Redis 7.0 serves it.
Whenever the listening side is not known to be healthy (connecting, a connection closed,
no answer to a PING in time), nothing is remembered and every request reads Redis. After
a lost connection the state in Redis is deleted, so the next request makes a new one: a
Redis that restarted from an old snapshot, or changes missed meanwhile, cannot leave an
old state current.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)

INVALIDATE_CHANNEL = "__redis__:invalidate"
POLL_SECONDS = 0.05  # how often the tracking connection is looked at between messages
PING_EVERY_SECONDS = 5
RECONNECT_SECONDS = (1, 2, 5, 10, 30)

_trackers: dict[tuple[str, str], StateTracker] = {}
_trackers_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, keeping one client per connection pool, and a state tracker.

    Django builds a new ``redis.Redis`` for every operation, and redis-py fills a table of
    about 170 response callbacks in each: a quarter of the time of a cached page here.
    A client is safe to share between threads; its pool hands out the connections.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingRedisClient

    def tracker(self, key: str) -> StateTracker | None:
        """The process's tracker of ``key`` (unprefixed); one per process, not per thread.

        None with replicas: a read from a replica could come after the invalidation and
        still hold the old value.
        """
        if len(self._servers) != 1:
            return None
        url, key = self._servers[0], self.make_and_validate_key(key)
        with _trackers_lock:
            tracker = _trackers.get((url, key))
            if tracker is None or tracker.pid != os.getpid():
                tracker = _trackers[url, key] = StateTracker(url, key)
            return tracker


class _ReusingRedisClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class StateTracker:
    """One remembered value, forgotten whenever Redis reports a change to ``key``.

    ``remembered()`` gives the value or None. A reader notes ``epoch`` before it reads
    Redis and offers what it read to ``remember(value, epoch)``; if a change was reported
    in between, the offer is refused, so a value read before a change is never kept
    after it.
    """

    def __init__(self, url: str, key: str):
        self.url = url
        self.key = key
        self.pid = os.getpid()
        self.epoch = 0
        self.live = False
        self.connections = 0
        self.client_ids = (None, None)  # (listener, tracking): Redis's CLIENT IDs
        self._value = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cache-tracking", daemon=True)
        self._thread.start()

    def remembered(self):
        return self._value if self.live else None

    def remember(self, value, epoch: int) -> None:
        with self._lock:
            if self.live and epoch == self.epoch:
                self._value = value

    def forget(self, *, live: bool | None = None) -> None:
        with self._lock:
            self.epoch += 1
            self._value = None
            if live is not None:
                self.live = live

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self._listen()
                failures = 0
            except Exception as error:  # whatever it was, stop remembering, then retry
                if not self._stopping.is_set():
                    logger.warning("Cache tracking interrupted, reading Redis: %s", error)
                failures += 1
            finally:
                self.forget(live=False)
            if failures:
                self._stopping.wait(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS)) - 1])

    def _listen(self) -> None:
        # RESP2: the invalidations arrive as ordinary Pub/Sub messages on the listener.
        pool = redis.ConnectionPool.from_url(
            self.url,
            protocol=2,
            socket_connect_timeout=2,
            socket_timeout=2,
            socket_keepalive=True,
        )
        listener, tracking = pool.make_connection(), pool.make_connection()
        try:
            listener.send_command("CLIENT", "ID")
            listener_id = listener.read_response()
            listener.send_command("SUBSCRIBE", INVALIDATE_CHANNEL)
            listener.read_response()
            tracking.send_command("CLIENT", "ID")
            self.client_ids = (listener_id, tracking.read_response())
            tracking.send_command(
                "CLIENT", "TRACKING", "ON", "REDIRECT", listener_id, "BCAST", "PREFIX", self.key
            )
            if tracking.read_response() != b"OK":
                raise redis.RedisError("CLIENT TRACKING was refused")
            if self.connections:
                # Back after a loss: Redis may have restarted from a snapshot, or changes
                # went by unheard. A new state is made by the next request.
                tracking.send_command("DEL", self.key)
                tracking.read_response()
            self.connections += 1
            self.forget(live=True)
            self._watch(listener, tracking)
        finally:
            listener.disconnect()
            tracking.disconnect()

    def _watch(self, listener, tracking) -> None:
        heard = time.monotonic()
        pinged = False
        while not self._stopping.is_set():
            if listener.can_read(timeout=POLL_SECONDS):
                message = listener.read_response()
                heard, pinged = time.monotonic(), False
                if not (isinstance(message, list) and message[:1] == [b"pong"]):
                    self.forget()  # an invalidation; forgetting is always safe
                continue
            if tracking.can_read(timeout=0):
                # Nothing is ever sent to it unasked: it closed (can_read raised) or
                # Redis said something about it, such as a broken redirection.
                raise redis.ConnectionError("the tracking connection has something wrong")
            silent = time.monotonic() - heard
            if silent > 2 * PING_EVERY_SECONDS:
                raise redis.ConnectionError("Redis did not answer a PING in time")
            if silent > PING_EVERY_SECONDS and not pinged:
                listener.send_command("PING")
                tracking.send_command("PING")
                tracking.read_response()
                pinged = True
