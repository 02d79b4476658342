"""Import wire copy as stories: idempotent, in batches of files, each file all or nothing."""

import logging
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, connections, reset_queries, transaction

from articles import search, services, wire
from articles.models import Story
from articles.site import caching

logger = logging.getLogger(__name__)

BATCH_SIZE = 250
"""Files per transaction. A batch costs a dozen queries whatever its size; a failure that
is not the copy's (the database going away) loses at most the batch being saved."""


class Command(BaseCommand):
    help = (
        "Import agency wire copy as stories (drafts unless --publish). Copy already "
        "imported is left as it is (its search fields are filled if an earlier import "
        "stopped before doing it). Tags and status come from an editorial sidecar "
        "(FILE with a .toml suffix) when there is one, else tags are suggested from the text. "
        "A bad file is reported and skipped; the exit status is 1 if any file failed. "
        "Ctrl-C or SIGTERM stops the import after the batch being saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish the stories at the copy's timestamp (or now, when it has none).",
        )

    def handle(self, *args, files, publish, verbosity, **options):
        failed = 0
        done = 0
        published = False
        refresher = SearchRefresher()
        with StopSignals() as stop:
            try:
                for start in range(0, len(files), BATCH_SIZE):
                    if stop.signum is not None:
                        break
                    batch = files[start : start + BATCH_SIZE]
                    outcomes = self._import_batch(batch, publish, refresher)
                    done += len(batch)
                    # With DEBUG on, Django keeps every query it ran: not for a whole import.
                    reset_queries()
                    for path, outcome in outcomes:
                        if isinstance(outcome, BatchFailed):
                            failed += 1
                            continue
                        if isinstance(outcome, Exception):
                            failed += 1
                            reason = services.failure_reason(outcome)
                            self.stderr.write(self.style.ERROR(f"{path}: {reason}"))
                            continue
                        story = outcome.story
                        if outcome.search_missing:
                            published = published or story.status == Story.Status.PUBLISHED
                        if not outcome.created:
                            if verbosity >= 1:
                                self.stdout.write(f"{path}: already imported as story {story.pk}")
                            continue
                        published = published or story.status == Story.Status.PUBLISHED
                        if verbosity >= 1:
                            self.stdout.write(
                                self.style.SUCCESS(
                                    f"{path}: imported as story {story.pk} ({story.status}): "
                                    f"{story.headline}"
                                )
                            )
            except KeyboardInterrupt:
                # A second Ctrl-C or SIGTERM: the batch being saved is rolled back.
                stop.signum = stop.signum or signal.SIGINT
            finally:
                not_refreshed = refresher.finish()
                # Once for the whole import, after every batch it committed and its search.
                if published:
                    caching.invalidate()
        for pk, reason in not_refreshed:
            self.stderr.write(
                self.style.WARNING(
                    f"story {pk}: the search fields could not be refreshed: {reason}"
                )
            )
        if not_refreshed:
            self.stderr.write(
                self.style.WARNING(
                    f"The search fields of {len(not_refreshed)} imported stories could not be "
                    "refreshed (see the log); run manage.py rebuild_search."
                )
            )
        if stop.signum is not None and done < len(files):
            name = signal.Signals(stop.signum).name
            message = (
                f"Stopped by {name} after {done} of {len(files)} files; the other "
                f"{len(files) - done} were not imported (run the same command again)."
            )
            if failed:
                message += f" {failed} files could not be imported."
            raise CommandError(message, returncode=128 + stop.signum)
        if failed:
            raise CommandError(f"{failed} of {len(files)} files could not be imported.")

    def _import_batch(self, paths, publish, refresher):
        """Read and parse each file, then save the good ones in one transaction; an outcome
        (an ImportResult, or the exception that stopped the file) for each path, in order.
        When the database fails the whole batch (not a file's fault), one line says which
        files were not imported and their outcome is :class:`BatchFailed`."""
        outcomes: list = [None] * len(paths)
        to_save: list[tuple[int, services.WireCopy]] = []
        for i, path in enumerate(paths):
            try:
                sidecar = services.read_sidecar(path)
                parsed = services.parse_copy(services.read_copy(path))
                services.check_searchable(parsed)
            except (wire.WireError, services.SidecarError, OSError) as exc:
                outcomes[i] = exc
                continue
            copy = services.WireCopy(
                parsed, publish=publish or sidecar.status == "published", tags=sidecar.tags
            )
            to_save.append((i, copy))
        try:
            results = services.import_wire_batch(
                [copy for _, copy in to_save],
                invalidate=False,
                refresh_search=not refresher.active,
            )
        except DatabaseError as exc:
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()  # the next batch reconnects
            names = ", ".join(str(paths[i]) for i, _ in to_save)
            self.stderr.write(
                self.style.ERROR(
                    f"{len(to_save)} files not imported, the database failed "
                    f"({services.failure_reason(exc)}): {names}"
                )
            )
            for i, _ in to_save:
                outcomes[i] = BatchFailed()
            return list(zip(paths, outcomes, strict=True))
        for (i, _), result in zip(to_save, results, strict=True):
            outcomes[i] = result
        refresher.refresh(
            [
                r.story.pk
                for r in results
                if isinstance(r, services.ImportResult) and (r.created or r.search_missing)
            ]
        )
        return list(zip(paths, outcomes, strict=True))


class BatchFailed:
    """The outcome of a file in a batch the database failed (reported once for the batch)."""


class StopSignals:
    """Ctrl-C (SIGINT) and SIGTERM ask the import to stop after the batch being saved: the
    handler only notes the signal (``signum``); a second one stops at once (KeyboardInterrupt,
    the batch rolled back). Only in the main thread, where Python runs signal handlers."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return False

    def _handle(self, signum, frame):
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        logger.warning("%s: stopping after the batch being saved", signal.Signals(signum).name)


REFRESH_THREADS = 2
"""PostgreSQL computing text-search vectors is most of an import's work: two connections
refresh at once, so both cores can do it while this process reads and saves."""

REFRESH_QUEUE = 2
"""Batches that may wait for a refresh thread; the import waits when there would be more
(imported stories not yet searchable stay few, whatever the speed of either side)."""


class SearchRefresher:
    """Refreshes the search fields of each committed batch in other threads, each with its
    own connection, while this one reads, parses and saves the next.

    Only on PostgreSQL and outside a transaction (inside one, as in tests, the batches are
    not committed yet and the importer refreshes on commit as usual). A refresh that fails
    (two refreshes adding the same new words to the lexicon can deadlock, say) is tried
    again at the end, alone, then story by story if it fails again
    (``services.refresh_search``): one story that cannot be indexed does not leave its
    batch unsearchable. The stories still not refreshed are logged and returned: they are
    saved, and ``manage.py rebuild_search`` catches up once the cause is fixed. If the
    import is stopped before a refresh (killed), importing the same files again fills in
    the search fields it missed.
    """

    def __init__(self):
        self.active = search.is_postgresql() and not transaction.get_connection().in_atomic_block
        self._executor = ThreadPoolExecutor(max_workers=REFRESH_THREADS) if self.active else None
        self._pending: list[tuple[Future, list[int]]] = []

    def refresh(self, pks: list[int]) -> None:
        if not (self.active and pks):
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
            failed += services.refresh_search(pks)
        return failed


def _refresh_and_close(pks: list[int]) -> None:
    """In a worker thread: refresh, then close the thread's connection (a batch is seconds
    of work; a connection costs milliseconds)."""
    try:
        search.refresh_stories(pks)
    finally:
        connections.close_all()
