"""Recompute the stored search fields of every story (PostgreSQL).

The site keeps them fresh by itself after every edit, import, restore, tag merge and
``loaddata``. Run this after loading data from outside those paths (a restored dump, SQL by
hand), or to catch up after a failed refresh.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from articles import services


class Command(BaseCommand):
    help = (
        "Recompute every story's stored search vector and search text on PostgreSQL, in "
        "batches. Safe to run at any time, on a live site too. Does nothing on SQLite, "
        "whose full-text index SQLite keeps itself, by triggers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=services.REBUILD_BATCH,
            help=f"Stories per UPDATE (default {services.REBUILD_BATCH}).",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database to rebuild."
        )

    def handle(self, *args, batch_size, database, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if not services.search_is_stored(database):
            if verbosity >= 1:
                self.stdout.write(
                    "Nothing to rebuild: this database is not PostgreSQL, and SQLite "
                    "keeps its full-text index itself."
                )
            return
        try:
            rebuilt = services.rebuild_search(using=database, batch_size=batch_size)
        except DatabaseError as exc:
            raise CommandError(f"Could not rebuild the search fields: {exc}") from None
        if verbosity >= 1:
            noun = "story" if rebuilt.stories == 1 else "stories"
            self.stdout.write(
                self.style.SUCCESS(f"Rebuilt the search fields of {rebuilt.stories} {noun}.")
            )
        for pk, reason in rebuilt.failed:
            self.stderr.write(
                self.style.ERROR(f"Story {pk} could not be indexed for search: {reason}")
            )
        if rebuilt.failed:
            raise CommandError(
                f"{len(rebuilt.failed)} stories could not be indexed; the rest were."
            )
