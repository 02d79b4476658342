"""What every write sets off: the stories' search fields and the purge of cached pages.

Each workflow that changes stories says so with one call, :func:`stories_changed`, and does
nothing else about it. This is the one module of the services that refreshes the search
index (``articles.search``) or purges the page cache (``articles.site.caching``); the desk
and the commands do neither, and call the services instead.

After commit, once per transaction: a desk save (``save_story`` and ``save_sections``, the
revision, the desk's own work) refreshes the search fields of the stories it changed in one
refresh, and purges the cached pages once, when the transaction commits. A rolled-back
change sets off nothing. Inside a transaction each public change also bumps the content
token at once (a query and a cache write): the purge after commit is the one that counts (a
request served between the two may have cached the old content); the early ones keep the
same transaction's own later reads (and tests, whose transactions never commit) current.
The caching issue that follows replaces both with purges by key after commit.

An import session (``articles.services.import_session``) gathers its batches' changes
(:func:`gathered`), refreshes their search fields in other threads while the next batch is
saved (:class:`SearchRefresher`), and purges once at its end.

The purge is bound for the model layer: the caching issue that follows hangs it on
signals, after commit, so that ``manage.py shell`` and ``loaddata`` purge too. Only this
module calls the cache, so that move changes this module and no workflow.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from articles import search
from articles.models import Story
from articles.site import caching

REBUILD_BATCH = search.REFRESH_BATCH
"""Stories per UPDATE when every story's search fields are rebuilt."""


@dataclass
class Changes:
    """Changed stories not yet made current, and whether readers could see the change."""

    story_ids: set[int] = field(default_factory=set)
    public: bool = False

    def add(self, pks: Iterable[int | None], *, public: bool) -> None:
        self.story_ids.update(pk for pk in pks if pk is not None)
        self.public = self.public or public


class _Waiting:
    """The changes of one transaction, waiting for its commit, and the callbacks it holds
    to make them current. A rollback drops the callbacks registered in what it undoes, and
    with them the last reference to each (this holds them weakly): when none is left, the
    transaction rolled back and its changes go with it, rather than into the next one."""

    def __init__(self):
        self.changes = Changes()
        self.callbacks = weakref.WeakSet()


_local = threading.local()


def stories_changed(pks: Iterable[int | None], *, public: bool = True) -> None:
    """These stories were written (saved, imported, retagged, restored, deleted): refresh
    their search fields and, if readers could see the change (``public``; not a draft
    imported or recovered), purge the cached pages, once the transaction commits.

    Outside a transaction, that is now. Inside :func:`gathered`, the changes are only
    gathered, for the caller to make current.
    """
    gathering = getattr(_local, "gathering", None)
    if gathering is not None:
        gathering.add(pks, public=public)
        return
    waiting = getattr(_local, "waiting", None)
    if waiting is None or not waiting.callbacks:
        waiting = _local.waiting = _Waiting()
    waiting.changes.add(pks, public=public)
    if public and not transaction.get_autocommit():
        purge_pages()

    def make_changes_current() -> None:  # named: robust on_commit logs a failure by name
        _make_current(waiting)

    # One callback per call, so a savepoint rolled back cannot take the only one with it;
    # the first to run after the commit does the work for all.
    waiting.callbacks.add(make_changes_current)
    transaction.on_commit(make_changes_current, robust=True)


@receiver(post_save, sender=Story)
def loaded_story_changed(sender, instance: Story, raw: bool, **kwargs) -> None:
    """A story loaded from a fixture (``loaddata``, saved raw, around every workflow) is
    a change like any other: searchable, and its pages purged, once the load commits (when
    its sections and tags, later in the fixture, are in too)."""
    if raw:
        stories_changed([instance.pk])


def _make_current(waiting: _Waiting) -> None:
    """After commit: one search refresh and one purge for all that the transaction
    changed; a later callback of the same commit finds nothing left to do."""
    if getattr(_local, "waiting", None) is waiting:
        _local.waiting = None
    changes, waiting.changes = waiting.changes, Changes()
    if changes.story_ids:
        refresh_search(changes.story_ids)
    if changes.public:
        purge_pages()


@contextmanager
def gathered() -> Iterator[Changes]:
    """Within the block, :func:`stories_changed` only gathers the changes into the
    :class:`Changes` it yields; the caller makes them current (an import session: the
    search fields batch by batch beside the import, one purge at its end)."""
    outer = getattr(_local, "gathering", None)
    _local.gathering = changes = Changes()
    try:
        yield changes
    finally:
        _local.gathering = outer


def refresh_search(pks: Iterable[int]) -> list[tuple[int, str]]:
    """Refresh these stories' search fields now: all at once, else one by one; ``(story id,
    reason)`` for each one the database could not index (logged too)."""
    if not search.is_postgresql():
        return []
    return search.refresh(pks)


def purge_pages() -> None:
    """Make every cached public page stale now."""
    caching.invalidate()


@dataclass(frozen=True)
class SearchRebuild:
    stories: int
    """How many stories' search fields were rebuilt."""
    failed: list[tuple[int, str]]
    """``(story id, reason)`` for each story the database could not index."""


def search_is_stored(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database keeps search fields (PostgreSQL); SQLite's search reads the
    stories themselves."""
    return search.is_postgresql(using)


def rebuild_search(
    *, using: str = DEFAULT_DB_ALIAS, batch_size: int = REBUILD_BATCH
) -> SearchRebuild:
    """Recompute the search fields of every story, in batches (``manage.py rebuild_search``).

    A story that cannot be indexed is reported in the result and the rest are rebuilt; a
    database that fails altogether raises ``DatabaseError``.
    """
    failed: list[tuple[int, str]] = []
    count = search.refresh_all(using=using, batch_size=batch_size, failed=failed)
    return SearchRebuild(stories=count, failed=failed)


REFRESH_THREADS = 2
"""PostgreSQL computing text-search vectors is most of an import's work: two connections
refresh at once, so both cores can do it while the importing thread reads and saves."""

REFRESH_QUEUE = 2
"""Batches that may wait for a refresh thread; the importer waits when there would be more
(imported stories not yet searchable stay few, whatever the speed of either side)."""


class SearchRefresher:
    """Refreshes the search fields of committed stories in other threads, each with its own
    connection, while this one goes on (reads, parses and saves the next batch).

    Only on PostgreSQL and outside a transaction; inside one (a test, a caller's
    transaction) the stories are not committed yet, and :func:`stories_changed` refreshes
    them on commit as usual. A refresh that fails (two refreshes adding the same new words
    to the lexicon can deadlock, say) is tried again by :meth:`finish`, alone, then story
    by story if it fails again: one story that cannot be indexed does not leave the others
    unsearchable.
    """

    def __init__(self):
        self.active = search.is_postgresql() and transaction.get_autocommit()
        self._executor = ThreadPoolExecutor(max_workers=REFRESH_THREADS) if self.active else None
        self._pending: list[tuple[Future, list[int]]] = []

    def refresh(self, pks: Iterable[int]) -> None:
        """Refresh these committed stories beside this thread (or on commit, inactive)."""
        pks = sorted(pks)
        if not pks:
            return
        if not self.active:
            stories_changed(pks, public=False)
            return
        running = [future for future, _ in self._pending if not future.done()]
        while len(running) >= REFRESH_THREADS + REFRESH_QUEUE:
            running = list(wait(running, return_when=FIRST_COMPLETED).not_done)
        self._pending.append((self._executor.submit(_refresh_and_close, pks), pks))

    def finish(self) -> list[tuple[int, str]]:
        """Wait for every refresh; ``(story id, reason)`` for each story not refreshed."""
        if not self.active:
            return []
        retry = []
        for future, pks in self._pending:
            try:
                future.result()
            except Exception:
                retry.append(pks)
        self._executor.shutdown()
        failed = []
        for pks in retry:  # one at a time, nothing else running
            failed += refresh_search(pks)
        return failed


def _refresh_and_close(pks: list[int]) -> None:
    """In a worker thread: refresh, then close the thread's connection (a batch is seconds
    of work; a connection costs milliseconds)."""
    try:
        search.refresh_stories(pks)
    finally:
        connections.close_all()
