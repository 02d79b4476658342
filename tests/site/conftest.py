"""What the site's tests share: the two caches the site runs on."""

import os
import socket

import pytest
from django.core.cache import cache

from articles.site import caching

REDIS = ("127.0.0.1", 6379)
REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(REDIS) == 0


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request, settings):
    """The per-process cache, and Redis as several app servers share it."""
    if request.param == "redis":
        if not redis_answers():
            if os.environ.get("CI"):
                pytest.fail("Redis is not reachable at 127.0.0.1:6379")
            pytest.skip("Redis is not reachable at 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": "newsroom-tests",
            }
        }
    cache.clear()
    caching.forget()
    yield request.param
    cache.clear()


@pytest.fixture
def redis_cache(any_cache):
    if any_cache != "redis":
        pytest.skip("this is what the shared Redis cache does")
    return any_cache
