"""Health checks of persistent database connections, skipped while a connection is busy.

With ``CONN_HEALTH_CHECKS`` Django asks PostgreSQL ``SELECT 1`` before the first query of
every request, so that a connection that died while idle (a database restart, a failover,
a firewall's timeout) is replaced instead of failing a reader's request. Under load that is
a round trip per page, some 10% of an uncached story page, to learn what the previous
request just showed. As connection pools do (HikariCP's ``aliveBypassWindowMs``), the
check is skipped for a connection that answered a query less than ``BYPASS_SECONDS`` ago;
an idle connection is still checked before it is used again.
"""

from __future__ import annotations

import time

from django.db.backends.signals import connection_created

BYPASS_SECONDS = 0.5


def _note_answer(execute, sql, params, many, context):
    """Execute wrapper: the time the connection last answered a query."""
    result = execute(sql, params, many, context)
    context["connection"].newsroom_answered_at = time.monotonic()
    return result


def _watch(sender, connection, **kwargs) -> None:
    """On each new connection: note its answers, and check it only when it has been idle.

    The check is Django's ``close_if_health_check_failed``, which runs before the first
    query of each request; wrapped on the connection itself, it does not depend on the order
    in which ``request_started`` handlers run.
    """
    if _note_answer not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _note_answer)
    if "close_if_health_check_failed" not in vars(connection):
        django_check = connection.close_if_health_check_failed

        def close_if_health_check_failed() -> None:
            answered = getattr(connection, "newsroom_answered_at", None)
            if answered is not None and time.monotonic() - answered < BYPASS_SECONDS:
                connection.health_check_done = True
                return
            django_check()

        connection.close_if_health_check_failed = close_if_health_check_failed


def install() -> None:
    connection_created.connect(_watch, dispatch_uid="newsroom-watch-connection")
