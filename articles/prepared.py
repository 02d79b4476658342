"""Querysets compiled to SQL once per process, and rows of related objects as JSON.

A reader's page should cost the database one round trip and Python as little as possible.
Building and compiling a queryset with a few subqueries costs Python more than running it
costs PostgreSQL (about 1.5 ms against 0.3 ms for the story page), and planning it costs
PostgreSQL more than executing it. So a page's queryset is built once, from the same code a
request would run (``Story.objects.published()`` included), compiled once per database
alias, and then run with each request's values; on PostgreSQL as a prepared statement,
parsed once per connection (and, after five runs, usually planned once: PostgreSQL's
``plan_cache_mode``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from django.core.signals import setting_changed
from django.db import DatabaseError, connections, models
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.models.sql.compiler import SQLCompiler
from psycopg.postgres import types as pg_types
from psycopg.pq import Format


class JSONList(models.Subquery):
    """The rows of ``queryset.values(*names)`` as one JSON array of objects (``[]`` if none).

    A scalar subquery: the page's one query carries a story's sections, tags and related
    stories as columns. The rows' order is not promised by the SQL; whoever reads the list
    sorts it by the keys it carries (``load``).
    """

    output_field = models.TextField()

    def __init__(self, queryset: models.QuerySet, *names: str):
        super().__init__(queryset.values(*names))
        self.names = names

    def as_sql(self, compiler, connection, template=None, **extra_context):
        inner, params = super().as_sql(compiler, connection, **extra_context)
        quote = connection.ops.quote_name
        pairs = ", ".join(f"'{name}', _rows.{quote(name)}" for name in self.names)
        if connection.vendor == "postgresql":
            rows = f"COALESCE(JSON_AGG(JSON_BUILD_OBJECT({pairs})), '[]')"
        else:
            rows = f"JSON_GROUP_ARRAY(JSON_OBJECT({pairs}))"
        return f"(SELECT {rows} FROM {inner} _rows)", params

    @staticmethod
    def load(value: str | list | None, *, sort_key: Callable | None = None) -> list[dict]:
        rows = json.loads(value) if isinstance(value, str | bytes) else (value or [])
        return sorted(rows, key=sort_key) if sort_key else rows


def json_datetime(value: str | None) -> datetime | None:
    """A time from a JSON row: PostgreSQL writes ISO 8601 with an offset, SQLite UTC text."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# A marker per kind of value: unlike anything a request sends, told apart by the microsecond
# or the day, and adapted by the database backend exactly as a real value would be.
_MARKER_TAG = "prepared-value-"
_MARKER_TEXT = "\x1f" + _MARKER_TAG + "{}\x1f"


def _marker(kind: type, n: int):
    if kind is datetime:
        return datetime(1901, 2, 3, 4, 5, 6, 700_000 + n, tzinfo=UTC)
    if kind is date:
        return date(1901, 2, 3 + n)
    if kind is str:
        return _MARKER_TEXT.format(n)
    raise TypeError(f"PreparedQuery cannot take a {kind.__name__} value")


def _adapt(connection, kind: type, value):
    if kind is datetime:
        return connection.ops.adapt_datetimefield_value(value)
    if kind is date:
        return connection.ops.adapt_datefield_value(value)
    return value


class _Compiled:
    def __init__(self, prepared: PreparedQuery, using: str):
        connection = connections[using]
        markers = {name: _marker(kind, n) for n, (name, kind) in enumerate(prepared.kinds.items())}
        queryset = prepared.build(**markers)
        compiler: SQLCompiler = queryset.query.get_compiler(using)
        self.sql, params = compiler.as_sql()
        adapted = {
            _adapt(connection, prepared.kinds[name], marker): name
            for name, marker in markers.items()
        }
        # Each parameter: (True, name) for a request's value, (False, value) for a constant.
        self.slots = [
            (True, adapted[param]) if _is_marker(param, adapted) else (False, param)
            for param in params
        ]
        missing = set(markers) - {value for is_slot, value in self.slots if is_slot}
        frozen = [value for is_slot, value in self.slots if not is_slot and _has_marker(value)]
        if missing or frozen or _MARKER_TAG in self.sql:
            raise ValueError(
                f"PreparedQuery {prepared.name}: {', '.join(sorted(missing)) or 'a value'} "
                "did not become a query parameter"
            )
        selected = [expression for expression, _sql, _alias in compiler.select]
        self.converters = list(compiler.get_converters(selected).items())
        info = compiler.klass_info
        self.model = info["model"]
        self.model_positions = info["select_fields"]
        self.model_fields = [selected[i].target.attname for i in self.model_positions]
        self.annotations = dict(compiler.annotation_col_map)

    def params(self, connection, kinds: dict[str, type], values: dict[str, Any]) -> list:
        return [
            _adapt(connection, kinds[value], values[value]) if is_slot else value
            for is_slot, value in self.slots
        ]


def _has_marker(param) -> bool:
    """A constant made from a marker (``now - timedelta(…)``, ``%slug%``): a value that was
    transformed before it became a parameter, and would be frozen into every request."""
    if isinstance(param, date):
        return param.year == 1901
    return isinstance(param, str) and (_MARKER_TAG in param or param.startswith("1901-02-"))


def _is_marker(param, adapted: dict) -> bool:
    try:
        return param in adapted
    except TypeError:  # an unhashable parameter (a list) is never a marker
        return False


class PreparedQuery:
    """A queryset built once by ``build(**values)``, run with new values for each request.

    ``kinds`` names each value's type (``datetime``, ``date`` or ``str``). ``build`` is
    called once, with marker values, and must use every value as a query parameter (a
    ``filter()`` value, not a ``LIMIT`` nor a choice of which filter to apply): the SQL is
    checked for that when it is compiled. ``first(**values)`` runs it and returns the first
    row as a model instance with its annotations as attributes, or ``None``.
    """

    def __init__(self, name: str, build: Callable[..., models.QuerySet], **kinds: type):
        self.name = name
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        setting_changed.connect(self._forget, weak=False)

    def _forget(self, **kwargs) -> None:
        # A test that changes TIME_ZONE or the databases changes the SQL.
        self._compiled.clear()

    def compiled(self, using: str = "default") -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or _Compiled(self, using)
                self._compiled[using] = compiled
        return compiled

    def first(self, using: str = "default", **values) -> models.Model | None:
        if set(values) != set(self.kinds):
            raise TypeError(f"{self.name} takes {', '.join(self.kinds)}")
        compiled = self.compiled(using)
        connection = connections[using]
        params = compiled.params(connection, self.kinds, values)
        try:
            row = _fetch_first(connection, compiled.sql, params)
        except DatabaseError:
            if connection.vendor != "postgresql" or connection.in_atomic_block:
                raise
            # A migration that changed a selected column since this connection prepared the
            # statement makes PostgreSQL refuse it ("cached plan must not change result
            # type") until it is prepared again: drop this connection's prepared statements
            # (psycopg forgets them too) and try once more.
            with connection.cursor() as cursor:
                cursor.execute("DEALLOCATE ALL")
            row = _fetch_first(connection, compiled.sql, params)
        if row is None:
            return None
        row = list(row)
        for position, (functions, expression) in compiled.converters:
            value = row[position]
            for convert in functions:
                value = convert(value, expression, connection)
            row[position] = value
        instance = compiled.model.from_db(
            using, compiled.model_fields, [row[i] for i in compiled.model_positions]
        )
        for alias, position in compiled.annotations.items():
            setattr(instance, alias, row[position])
        return instance


def _fetch_first(connection, sql: str, params: list):
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _cursor(connection):
    """Django's cursor (health-checked, logged, counted, its errors Django's); on PostgreSQL
    around a psycopg cursor that binds its parameters on the server and prepares the
    statement, so that PostgreSQL plans it once per connection."""
    wrapper = connection.cursor()
    if connection.vendor == "postgresql":
        client_side = wrapper.cursor
        wrapper.cursor = _PreparingCursor(connection.connection)
        client_side.close()
        loader = connection.connection.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != loader.timezone:  # as Django's own cursors do
            register_tzloader(connection.timezone, wrapper.cursor)
    return wrapper


_TIMESTAMPTZ_OID = pg_types["timestamptz"].oid


class _PreparingCursor(psycopg.Cursor):
    def execute(self, query, params=None, **kwargs):
        kwargs.setdefault("prepare", True)
        return super().execute(query, params, **kwargs)
