"""What every write sets off: the stories' search fields and the purge of cached pages.

Changes are seen where they are made, in the model layer: receivers of the models'
``post_save`` and ``post_delete`` signals (below) record what each save or delete of a
story, a section, a story's tag or a tag changes, whoever makes it: the desk, a command,
``manage.py shell`` with ``story.save()``, ``loaddata``. What bypasses the signals says so
itself with :func:`stories_changed`: ``QuerySet.update()``, ``bulk_create`` (the import's
batches) and raw SQL; anyone else using those must call it too.

Once the transaction commits, and once per transaction, what it changed is made current:
one search refresh of the stories it wrote (``articles.search``), and one purge of the
surrogate keys it touched (``articles.site.keys``), in Django's cache
(``articles.site.caching``) and in every Varnish in front (``articles.site.varnish``). A
rolled-back change sets off nothing. A draft's change purges nothing: no page shows it.

What a change touches: a story's own key whenever readers can see it (or could, before the
change); and when it joins or leaves lists (published, unpublished, deleted, its time or
place changed), the lists too: the newest stories, search, the sitemaps, its place and its
tags' pages. Moving a story within the lists it is in is the same. Editing its words
touches the story itself, search and the sitemaps (the time of change), not the lists: each
list shows the key of every story on it.

An import session (``articles.services.import_session``) gathers its batches' changes
(:func:`gathered`), refreshes their search fields in other threads while the next batch is
saved (:class:`SearchRefresher`), and purges what its batches touched once, at its end.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from taggit.models import Tag

from articles import search
from articles.models import Correction, Section, Story, TaggedStory
from articles.site import caching, varnish
from articles.site import keys as surrogate

logger = logging.getLogger(__name__)

REBUILD_BATCH = search.REFRESH_BATCH
"""Stories per UPDATE when every story's search fields are rebuilt."""


@dataclass
class Changes:
    """What was written and not yet made current.

    ``keys`` are purged as they are; the others are read once the change is committed:
    ``edited`` stories' words changed (their own keys, if readers can see them), ``moved``
    stories joined, left or moved in lists (those lists' keys), and ``tagged`` (story, tag)
    rows were added or removed.
    """

    story_ids: set[int] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    edited: set[int] = field(default_factory=set)
    moved: set[int] = field(default_factory=set)
    tagged: set[tuple[int, int]] = field(default_factory=set)

    def add(self, pks: Iterable[int | None], *, public: bool) -> None:
        pks = {pk for pk in pks if pk is not None}
        self.story_ids |= pks
        if public:
            self.moved |= pks

    def merge(self, other: Changes) -> None:
        self.story_ids |= other.story_ids
        self.keys |= other.keys
        self.edited |= other.edited
        self.moved |= other.moved
        self.tagged |= other.tagged

    @property
    def public(self) -> bool:
        """Whether readers could see any of it (before the stories are read)."""
        return bool(self.keys or self.edited or self.moved or self.tagged)


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
    """These stories were written where no signal tells (``bulk_create``, ``update()``,
    raw SQL): refresh their search fields and, if readers could see the change
    (``public``; not a draft imported or recovered), purge the lists they are in, once the
    transaction commits."""
    changes = Changes()
    changes.add(pks, public=public)
    _record(changes)


def _record(changes: Changes) -> None:
    """Add to what the current transaction changed (or, inside :func:`gathered`, to what
    is gathered); made current after commit (outside a transaction, now)."""
    gathering = getattr(_local, "gathering", None)
    if gathering is not None:
        gathering.merge(changes)
        return
    waiting = getattr(_local, "waiting", None)
    if waiting is None or not waiting.callbacks:
        waiting = _local.waiting = _Waiting()
    waiting.changes.merge(changes)

    def make_changes_current() -> None:  # named: robust on_commit logs a failure by name
        _make_current(waiting)

    # One callback per call, so a savepoint rolled back cannot take the only one with it;
    # the first to run after the commit does the work for all.
    waiting.callbacks.add(make_changes_current)
    transaction.on_commit(make_changes_current, robust=True)


def _listed(listing: tuple | None) -> bool:
    """Whether a story with this listing is (or is scheduled to be) in readers' lists."""
    return listing is None or (listing[0] == Story.Status.PUBLISHED and listing[1] is not None)


@receiver(post_save, sender=Story)
def story_saved(sender, instance: Story, created: bool, raw: bool, **kwargs) -> None:
    """A story saved, from a fixture (``loaddata``) too: what lists it changed, if any."""
    new = instance.listing()
    old = None if created or raw else getattr(instance, "stored_listing", None)
    changes = Changes(story_ids={instance.pk})
    if created or raw or old is None or new is None:
        # Unknown before (a fixture's row replacing a story, say): it may have been listed.
        if _listed(new) or not created:
            changes.moved.add(instance.pk)
    elif old != new:
        if _listed(old) or _listed(new):
            changes.moved.add(instance.pk)
        if _listed(old) and old[2]:
            changes.keys.add(surrogate.place(old[2]))
    elif _listed(new):
        changes.edited.add(instance.pk)
    instance.stored_listing = new
    _record(changes)


@receiver(post_delete, sender=Story)
def story_deleted(sender, instance: Story, **kwargs) -> None:
    listing = instance.listing()
    if _listed(listing):
        changes = Changes(moved={instance.pk})
        if listing and listing[2]:
            changes.keys.add(surrogate.place(listing[2]))
        _record(changes)


@receiver(post_save, sender=Section)
@receiver(post_delete, sender=Section)
def section_changed(sender, instance: Section, raw: bool = False, **kwargs) -> None:
    if not raw:  # a fixture's story is a change of its own (story_saved)
        _record(Changes(story_ids={instance.story_id}, edited={instance.story_id}))


@receiver(post_save, sender=TaggedStory)
@receiver(post_delete, sender=TaggedStory)
def story_tag_changed(sender, instance: TaggedStory, raw: bool = False, **kwargs) -> None:
    if not raw:
        pair = (instance.content_object_id, instance.tag_id)
        _record(Changes(story_ids={pair[0]}, tagged={pair}))


@receiver(post_save, sender=Tag)
@receiver(post_delete, sender=Tag)
def tag_changed(sender, instance: Tag, created: bool = False, **kwargs) -> None:
    """A tag renamed, merged away or deleted: every page showing it (a new tag is on no
    page yet)."""
    if not created:
        keys = {surrogate.tag(instance.pk), surrogate.tag_stories(instance.pk)}
        _record(Changes(keys=keys | {surrogate.SITEMAP}))


@receiver(post_save, sender=Correction)
@receiver(post_delete, sender=Correction)
def correction_changed(sender, instance: Correction, raw: bool = False, **kwargs) -> None:
    """A correction published, changed or deleted: its story's page (the feeds too), the
    corrections page and feed, the sitemap's lastmod (a prepared one is on no page yet)."""
    if instance.published_at is not None or raw:
        story = instance.story_id
        _record(Changes(keys={surrogate.story(story), surrogate.CORRECTIONS, surrogate.SITEMAP}))


def keys_of(changes: Changes) -> set[str]:
    """The surrogate keys ``changes`` touched, read from the stories as they are now
    (after the commit): two queries at most."""
    keys = set(changes.keys)
    ids = changes.edited | changes.moved | {story for story, _ in changes.tagged}
    if not ids:
        return keys
    listings = {
        pk: (status, published_at, place)
        for pk, status, published_at, place in Story.objects.filter(pk__in=ids).values_list(
            "pk", "status", "published_at", "place_slug"
        )
    }

    def visible(pk: int) -> bool:  # a story gone was visible, for all we know
        return _listed(listings.get(pk))

    for pk in changes.edited:
        if visible(pk):
            keys |= {surrogate.story(pk), surrogate.SEARCH, surrogate.SITEMAP}
    for pk, tag in changes.tagged:
        if visible(pk):
            keys |= {surrogate.story(pk), surrogate.tag_stories(tag), surrogate.SEARCH}
            keys.add(surrogate.SITEMAP)  # a tag's first public story puts it in the sitemap
    if changes.moved:
        keys |= {surrogate.LATEST, surrogate.SEARCH, surrogate.SITEMAP}
        keys |= {surrogate.story(pk) for pk in changes.moved}
        keys |= {
            surrogate.place(listings[pk][2])
            for pk in changes.moved
            if pk in listings and listings[pk][2]
        }
        tags = TaggedStory.objects.filter(content_object_id__in=changes.moved)
        keys |= {surrogate.tag_stories(tag) for tag in tags.values_list("tag_id", flat=True)}
    return keys


def _make_current(waiting: _Waiting) -> None:
    """After commit: one search refresh and one purge for all that the transaction
    changed; a later callback of the same commit finds nothing left to do."""
    if getattr(_local, "waiting", None) is waiting:
        _local.waiting = None
    changes, waiting.changes = waiting.changes, Changes()
    try:
        if changes.story_ids:
            refresh_search(changes.story_ids)
    finally:  # a refresh that failed must not keep the change from readers
        purge(_keys_or_fallback(changes))


def _keys_or_fallback(changes: Changes) -> set[str]:
    """:func:`keys_of`; with the database away, the stories' own keys and the lists every
    story is in (its tags' and place's pages then wait for their lifetime)."""
    try:
        return keys_of(changes)
    except DatabaseError as error:
        logger.error("Could not read what the change touched, purging the main lists: %s", error)
        ids = changes.edited | changes.moved | {story for story, _ in changes.tagged}
        keys = {surrogate.story(pk) for pk in ids}
        return changes.keys | keys | {surrogate.LATEST, surrogate.SEARCH, surrogate.SITEMAP}


@contextmanager
def gathered() -> Iterator[Changes]:
    """Within the block, changes are only gathered into the :class:`Changes` it yields;
    the caller makes them current (an import session: the search fields batch by batch
    beside the import, one purge at its end, of :func:`keys_of` each batch)."""
    outer = getattr(_local, "gathering", None)
    _local.gathering = changes = Changes()
    try:
        yield changes
    finally:
        _local.gathering = outer


def refresh_search(pks: Iterable[int]) -> list[tuple[int, str]]:
    """Refresh these stories' search fields now: all at once, else one by one; ``(story id,
    reason)`` for each one the database could not index (logged too). Nothing to do on
    SQLite, whose triggers keep its index."""
    if not search.is_postgresql():
        return []
    return search.refresh(pks)


def purge(keys: Iterable[str]) -> None:
    """Purge the cached responses showing any of ``keys``: Django's cache, then every
    Varnish in front. Neither fails the change that called it (each logs and retries)."""
    keys = set(keys)
    if keys:
        caching.purge(keys)
        varnish.purge(keys)


def purge_on_commit(keys: Iterable[str]) -> None:
    """Purge ``keys`` once the transaction commits (now, outside one)."""
    if keys := set(keys):
        _record(Changes(keys=keys))


def purge_everything() -> None:
    """Purge every cached public response, once the transaction commits (after a deploy
    that changed the templates, say)."""
    purge_on_commit({surrogate.ALL})


@dataclass(frozen=True)
class SearchRebuild:
    stories: int
    """How many stories' search fields were rebuilt."""
    failed: list[tuple[int, str]]
    """``(story id, reason)`` for each story the database could not index."""


def search_is_stored(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database keeps search fields the site refreshes (PostgreSQL); SQLite's
    full-text index is kept by its own triggers."""
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
