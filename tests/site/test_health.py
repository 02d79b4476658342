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


def test_cache_down_is_reported_but_keeps_the_server_in_service(client, monkeypatch):
    """With the shared cache unreachable the server says it is degraded, with a 200: it
    still serves pages (uncached), and a load balancer must not take every server out."""
    from django.core.cache import cache

    def refuse(*args, **kwargs):
        raise ConnectionError("Redis refused the connection")

    monkeypatch.setattr(cache, "set", refuse)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"degraded: cache unavailable, pages served uncached\n"
    assert client.get("/").status_code == 200


def test_pages_answer_a_friendly_503_while_the_database_is_away(client, monkeypatch):
    """No traceback, no error page: a short 503 with Retry-After, and back when it returns."""
    from tests.factories import make_story

    make_story(headline="Still here afterwards")

    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "ensure_connection", refuse)
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/?fresh=1")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "We'll be back in a moment" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert "Still here afterwards" in client.get("/").content.decode()
