"""Import wire copy as stories, or as later takes of them: idempotent, in batches of files,
each file all or nothing; one line per file says what became of it."""

import logging
import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries

from articles import services

logger = logging.getLogger(__name__)

BATCH_SIZE = 250
"""Files per transaction. A batch costs a dozen queries for its stories, sections and tags
whatever its size; a failure that is not the copy's (the database going away) loses at
most the batch being saved."""


class Command(BaseCommand):
    help = (
        "Import agency wire copy as stories (drafts unless --publish). Copy already "
        "imported is left as it is (its search fields are filled if an earlier import "
        "stopped before doing it). Updates, corrections, refiles and kill notices join the "
        "earlier story they belong to (same headline, dateline place and credit, within 72 "
        "hours), or become drafts of their own when there is none or several, saying why. "
        'Tags, status and the story a take belongs to (story = ID or slug = "SLUG") come '
        "from an editorial sidecar (FILE with a .toml suffix) when there is one, else tags "
        "are suggested from the text. "
        "A bad file is reported and skipped; the exit status is 1 if any file failed, or "
        "if a kill notice matched no single story. "
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
        failed = done = 0
        self.stranded_kills: list[int] = []
        with StopSignals() as stop, services.ImportSession() as session:
            try:
                if len(files) > BATCH_SIZE:  # one batch orders its takes itself
                    files = services.first_takes_first(files)
                for start in range(0, len(files), BATCH_SIZE):
                    if stop.signum is not None:
                        break
                    batch = files[start : start + BATCH_SIZE]
                    outcomes = session.import_files(batch, publish=publish)
                    done += len(batch)
                    # With DEBUG on, Django keeps every query it ran: not for a whole import.
                    reset_queries()
                    failed += self.report(outcomes, verbosity)
            except KeyboardInterrupt:
                # A second Ctrl-C or SIGTERM: the batch being saved is rolled back.
                stop.signum = stop.signum or signal.SIGINT
        for pk, reason in session.not_refreshed:
            self.stderr.write(
                self.style.WARNING(
                    f"story {pk}: the search fields could not be refreshed: {reason}"
                )
            )
        if session.not_refreshed:
            self.stderr.write(
                self.style.WARNING(
                    f"The search fields of {len(session.not_refreshed)} imported stories "
                    "could not be refreshed (see the log); run manage.py rebuild_search."
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
        problems = []
        if failed:
            problems.append(f"{failed} of {len(files)} files could not be imported.")
        if kills := self.stranded_kills:
            ids = ", ".join(str(pk) for pk in kills)
            problems.append(
                f"Kill notices that matched no single story: {len(kills)} "
                f"(kept as drafts: {ids}). What they withdraw may still be public: find it "
                "and kill it in the desk."
            )
        if problems:
            raise CommandError(" ".join(problems))

    def report(self, outcomes, verbosity) -> int:
        """One line per file (errors always, the rest with verbosity); how many failed.
        Files of a batch the database failed as a whole get one line together."""
        lost = [(path, o.error) for path, o in outcomes if isinstance(o, services.BatchFailed)]
        if lost:
            self.stderr.write(
                self.style.ERROR(
                    f"{len(lost)} files not imported, the database failed "
                    f"({services.failure_reason(lost[0][1])}): "
                    + ", ".join(str(path) for path, _ in lost)
                )
            )
        failed = len(lost)
        for path, outcome in outcomes:
            if isinstance(outcome, services.BatchFailed):
                continue
            if isinstance(outcome, Exception):
                failed += 1
                reason = services.failure_reason(outcome)
                self.stderr.write(self.style.ERROR(f"{path}: {reason}"))
            elif outcome.outcome == "draft" and outcome.kind == "kill":
                # The story it withdraws may still be public: never only a warning.
                self.stranded_kills.append(outcome.story.pk)
                self.stderr.write(self.style.ERROR(f"{path}: {outcome.describe()}"))
            elif verbosity >= 1:
                line = f"{path}: {outcome.describe()}"
                if outcome.outcome == "draft":
                    self.stdout.write(self.style.WARNING(line))
                elif outcome.outcome == "unchanged":
                    self.stdout.write(line)
                else:
                    self.stdout.write(self.style.SUCCESS(line))
        return failed


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
