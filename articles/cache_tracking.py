"""Redis for the page cache: clients reused, and the content state remembered per process.

Every public request first reads the *content state* (generation, time of the last change,
next scheduled story; see ``articles.caching``). Asking Redis for it each time costs a round
trip, which on a busy server is most of what a cached page costs. So each process keeps
the last state it read, and Redis itself says when to forget it: server-assisted client
caching (``CLIENT TRACKING … BCAST PREFIX``, Redis 6+), with the invalidation messages
redirected to a connection that a background thread listens on. A change made by any app
server reaches every other one in the time a message takes on the network.

redis-py's own client-side cache would do this, but it refuses servers older than 7.4; the
protocol used here is the one Redis 6.0 introduced, so Debian's Redis 7.0 serves it.
If the listening connection is not up (Redis restarted, the network cut), nothing is
remembered and every request reads Redis, as it would without this.
"""

from __future__ import annotations

import logging
import os
import threading

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)

INVALIDATE_CHANNEL = "__redis__:invalidate"
PING_EVERY_SECONDS = 5
RECONNECT_AFTER_SECONDS = 1


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, keeping one client per connection pool, and a state tracker.

    Django builds a new ``redis.Redis`` for every operation, and redis-py fills a table of
    about 170 response callbacks in each: a quarter of the time of a cached page here.
    A client is safe to share between threads; its pool hands out the connections.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingRedisClient
        self._tracker = None
        self._tracker_lock = threading.Lock()

    def tracker(self, prefix: str) -> StateTracker:
        """The process's tracker of keys starting with ``prefix`` (a key name, unprefixed)."""
        with self._tracker_lock:
            if self._tracker is None or self._tracker.pid != os.getpid():
                url = self._servers[0]
                self._tracker = StateTracker(url, self.make_key(prefix))
            return self._tracker


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
    """One remembered value, forgotten whenever Redis reports a change under ``prefix``.

    ``remembered()`` gives the value or None. A reader notes ``epoch`` before it reads
    Redis and offers what it read to ``remember(value, epoch)``; if a change was reported
    in between, the offer is refused, so a value read before a change is never kept
    after it.
    """

    def __init__(self, url: str, prefix: str):
        self.url = url
        self.prefix = prefix
        self.pid = os.getpid()
        self.epoch = 0
        self.live = False
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

    def forget(self) -> None:
        with self._lock:
            self.epoch += 1
            self._value = None

    def stop(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except (redis.RedisError, OSError) as error:
                logger.warning("Cache tracking interrupted, reading Redis meanwhile: %s", error)
            with self._lock:
                self.live = False
            self.forget()
            self._stopping.wait(RECONNECT_AFTER_SECONDS)

    def _listen(self) -> None:
        # RESP2: the invalidations arrive as ordinary Pub/Sub messages on the listener.
        pool = redis.ConnectionPool.from_url(self.url, protocol=2)
        listener, tracking = pool.make_connection(), pool.make_connection()
        try:
            listener.send_command("CLIENT", "ID")
            listener_id = listener.read_response()
            listener.send_command("SUBSCRIBE", INVALIDATE_CHANNEL)
            listener.read_response()
            tracking.send_command(
                "CLIENT", "TRACKING", "ON", "REDIRECT", listener_id, "BCAST", "PREFIX", self.prefix
            )
            if tracking.read_response() != b"OK":
                raise redis.RedisError("CLIENT TRACKING was refused")
            self.forget()
            with self._lock:
                self.live = True
            while not self._stopping.is_set():
                if listener.can_read(timeout=PING_EVERY_SECONDS):
                    message = listener.read_response()
                    if not (isinstance(message, list) and message[:1] == [b"pong"]):
                        self.forget()  # an invalidation; forgetting is always safe
                else:
                    listener.send_command("PING")
                    tracking.send_command("PING")
                    tracking.read_response()
        finally:
            listener.disconnect()
            tracking.disconnect()
