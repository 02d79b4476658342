"""An import run: many files of wire copy, saved batch by batch (``manage.py import_wire``).

    with ImportSession() as session:
        for batch in batches:
            for path, outcome in session.import_files(batch, publish=False):
                ...  # an ImportResult, the file's error, or BatchFailed
    session.not_refreshed  # [(story id, reason)] once the block is done

Each batch is one transaction (:func:`~articles.services.importing.import_wire_batch`).
Its stories' search fields are refreshed in other threads while the next batch is read and
saved (:class:`~articles.services.effects.SearchRefresher`), and the cached pages are purged
once, at the end, if anything published: not once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, connection, transaction

from articles import wire
from articles.services import effects
from articles.services.importing import ImportResult, import_wire_batch, is_first_take
from articles.services.takes import TakeRefused
from articles.services.wire_copy import SidecarError, WireCopy, read_wire_file


@dataclass(frozen=True)
class BatchFailed:
    """The outcome of each file of a batch the database failed as a whole (the database
    going away, say: not the file's fault, and nothing of the batch was saved)."""

    error: DatabaseError


Outcome = (
    ImportResult
    | DatabaseError
    | TakeRefused
    | wire.WireError
    | SidecarError
    | OSError
    | BatchFailed
)


class ImportSession:
    """Imports batches of files; a context manager (see the module's docstring).

    When the block ends, however it ends, every refresh has finished: stories whose
    search fields could still not be refreshed are in :attr:`not_refreshed` (they are
    imported; ``manage.py rebuild_search`` catches up once the cause is fixed, and
    importing the same files again fills in what an import stopped before its refresh
    missed).
    """

    def __init__(self, *, user=None):
        self.user = user
        self.not_refreshed: list[tuple[int, str]] = []
        self._keys: set[str] = set()
        self._search: effects.SearchRefresher | None = None

    def __enter__(self) -> ImportSession:
        self._search = effects.SearchRefresher()
        return self

    def __exit__(self, *exc_info) -> bool:
        self.not_refreshed = self._search.finish()
        effects.purge_on_commit(self._keys)  # the purge the batches left to the session
        return False

    def import_files(
        self, paths: Sequence[Path], *, publish: bool = False
    ) -> list[tuple[Path, Outcome]]:
        """Read and parse each file, then save the good ones in one transaction; the
        outcome of each path, in order: an :class:`ImportResult` (a story made, a take
        joined to its story, or kept as a draft and why), the exception that made the file
        fail (a take refused among them), or :class:`BatchFailed` for every file of a
        batch the database failed as a whole."""
        outcomes: list = [None] * len(paths)
        to_save: list[tuple[int, WireCopy]] = []
        for i, path in enumerate(paths):
            try:
                to_save.append((i, read_wire_file(path, publish=publish)))
            except (wire.WireError, SidecarError, OSError) as exc:
                outcomes[i] = exc
        try:
            results = self.import_batch([copy for _, copy in to_save])
        except DatabaseError as exc:
            for i, _ in to_save:
                outcomes[i] = BatchFailed(exc)
        else:
            for (i, _), result in zip(to_save, results, strict=True):
                outcomes[i] = result
        return list(zip(paths, outcomes, strict=True))

    def import_batch(
        self, copies: Sequence[WireCopy]
    ) -> list[ImportResult | DatabaseError | TakeRefused]:
        """:func:`import_wire_batch`, its search refreshed beside the next batch."""
        try:
            with effects.gathered() as changes:
                results = import_wire_batch(copies, user=self.user)
        except DatabaseError:
            if transaction.get_autocommit():
                connection.close_if_unusable_or_obsolete()  # the next batch reconnects
            raise
        self._search.refresh(changes.story_ids)
        self._keys |= effects.keys_of(changes)
        return results


def first_takes_first(paths: Sequence[Path]) -> list[Path]:
    """``paths`` with every later take (an update, correction, refile or kill, or copy
    whose sidecar names its story) after every first take, each group in its order: a run
    longer than one batch then makes its stories before their takes come, as one batch
    does. A file that cannot be read or parsed counts as a first take (its error is
    reported when it is imported). Reads and parses each file once more than the import."""

    def later(path: Path) -> bool:
        try:
            return not is_first_take(read_wire_file(path))
        except (wire.WireError, SidecarError, OSError):
            return False

    return sorted(paths, key=later)  # stable: each group keeps its order
