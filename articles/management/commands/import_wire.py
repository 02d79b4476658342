"""Import wire copy as stories: idempotent, in batches of files, each file all or nothing."""

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from articles import caching, search, services, wire
from articles.models import Story

logger = logging.getLogger(__name__)

BATCH_SIZE = 250
"""Files per transaction. A batch costs a dozen queries whatever its size; a failure that
is not the copy's (the database going away) loses at most the batch being saved."""


class Command(BaseCommand):
    help = (
        "Import agency wire copy as stories (drafts unless --publish). Copy already "
        "imported is left as it is. Tags and status come from an editorial sidecar "
        "(FILE with a .toml suffix) when there is one, else tags are suggested from the text. "
        "A bad file is reported and skipped; the exit status is 1 if any file failed."
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
        published = False
        refresher = SearchRefresher()
        try:
            for start in range(0, len(files), BATCH_SIZE):
                batch = files[start : start + BATCH_SIZE]
                outcomes = self._import_batch(batch, publish, refresher)
                for path, outcome in outcomes:
                    if isinstance(outcome, Exception):
                        failed += 1
                        reason = services.failure_reason(outcome)
                        self.stderr.write(self.style.ERROR(f"{path}: {reason}"))
                        continue
                    story = outcome.story
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
        finally:
            not_refreshed = refresher.finish()
            # Once for the whole import, after every batch it committed and its search.
            if published:
                caching.invalidate()
        if not_refreshed:
            self.stderr.write(
                self.style.WARNING(
                    f"The search fields of {not_refreshed} imported stories could not be "
                    "refreshed (see the log); run manage.py rebuild_search."
                )
            )
        if failed:
            raise CommandError(f"{failed} of {len(files)} files could not be imported.")

    def _import_batch(self, paths, publish, refresher):
        """Read and parse each file, then save the good ones in one transaction; an outcome
        (an ImportResult, or the exception that stopped the file) for each path, in order."""
        outcomes: list = [None] * len(paths)
        to_save: list[tuple[int, services.WireCopy]] = []
        for i, path in enumerate(paths):
            try:
                sidecar = services.read_sidecar(path)
                parsed = services.parse_copy(services.read_copy(path))
            except (wire.WireError, services.SidecarError, OSError) as exc:
                outcomes[i] = exc
                continue
            copy = services.WireCopy(
                parsed, publish=publish or sidecar.status == "published", tags=sidecar.tags
            )
            to_save.append((i, copy))
        results = services.import_wire_batch(
            [copy for _, copy in to_save], invalidate=False, refresh_search=not refresher.active
        )
        for (i, _), result in zip(to_save, results, strict=True):
            outcomes[i] = result
        refresher.refresh(
            [r.story.pk for r in results if isinstance(r, services.ImportResult) and r.created]
        )
        return list(zip(paths, outcomes, strict=True))


REFRESH_THREADS = 2
"""PostgreSQL computing text-search vectors is most of an import's work: two connections
refresh at once, so both cores can do it while this process reads and saves."""


class SearchRefresher:
    """Refreshes the search fields of each committed batch in other threads, each with its
    own connection, while this one reads, parses and saves the next.

    Only on PostgreSQL and outside a transaction (inside one, as in tests, the batches are
    not committed yet and the importer refreshes on commit as usual). A refresh that fails
    (two refreshes adding the same new words to the lexicon can deadlock, say) is tried
    again at the end, alone; one that fails again is logged and counted, as
    ``search.refresh_on_commit`` does: the stories are saved, and ``manage.py
    rebuild_search`` catches up.
    """

    def __init__(self):
        self.active = search.is_postgresql() and not transaction.get_connection().in_atomic_block
        self._executor = ThreadPoolExecutor(max_workers=REFRESH_THREADS) if self.active else None
        self._pending: list[tuple[Future, list[int]]] = []

    def refresh(self, pks: list[int]) -> None:
        if self.active and pks:
            self._pending.append((self._executor.submit(_refresh_and_close, pks), pks))

    def finish(self) -> int:
        """Wait for every refresh; the number of stories whose refresh failed."""
        if not self.active:
            return 0
        retry = []
        for future, pks in self._pending:
            try:
                future.result()
            except Exception:
                retry.append(pks)
        self._executor.shutdown()
        failed = 0
        for pks in retry:  # one at a time, nothing else running
            try:
                search.refresh_stories(pks)
            except Exception:
                logger.exception("Refreshing the search fields of %d imported stories", len(pks))
                failed += len(pks)
        return failed


def _refresh_and_close(pks: list[int]) -> None:
    """In a worker thread: refresh, then close the thread's connection (a batch is seconds
    of work; a connection costs milliseconds)."""
    try:
        search.refresh_stories(pks)
    finally:
        connections.close_all()
