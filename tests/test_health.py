"""``/healthz``: 200 when the database answers, 503 when it does not."""

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_healthy_database_answers_200(client):
    """A working database gives 200 and an uncacheable body."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"


def test_database_down_answers_503(client, monkeypatch):
    """A database that refuses gives 503 with Retry-After, not an error page."""

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database unavailable\n"
    assert response["Retry-After"] == "30"


def test_cache_down_answers_503(client, monkeypatch):
    """With the shared cache unreachable the server reports itself unhealthy."""
    from django.core.cache import cache

    def refuse(*args, **kwargs):
        raise ConnectionError("Redis refused the connection")

    monkeypatch.setattr(cache, "set", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"cache unavailable\n"
