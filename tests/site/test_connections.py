"""Health checks of persistent connections (articles/connections.py): skipped for a
connection that just answered, made for one that has been idle, and a connection that died
while idle is replaced before a reader's query meets it."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection, connections

from articles import connections as checks

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The tests close the connection and open a new one; Django keeps an in-memory SQLite
    # test database open whatever is asked (closing it would lose the database).
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a server's connections"),
]


@pytest.fixture
def health_checks(settings, monkeypatch):
    """Health checks on, as in production, and a count of the checks made."""
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    made = []
    real = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: made.append(1) or real())
    yield made
    connection.close()


def request(sql: str = "SELECT 1") -> None:
    """What a request does to the connection: Django's signals around one query."""
    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchone()
    request_finished.send(sender=None)


def test_a_connection_that_just_answered_is_not_checked_again(health_checks):
    request()  # a new connection needs no check
    request()
    request()
    assert health_checks == []


def test_an_idle_connection_is_checked(health_checks, monkeypatch):
    request()
    monkeypatch.setattr(checks, "BYPASS_SECONDS", 0.0)
    request()
    assert health_checks == [1]


def test_a_connection_that_died_while_idle_is_replaced(health_checks, monkeypatch):
    """A restart or failover ended the server side: the next request still gets answers."""
    request()
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    monkeypatch.setattr(checks, "BYPASS_SECONDS", 0.0)
    request()
    assert health_checks == [1]
    assert connection.connection.info.backend_pid != pid
