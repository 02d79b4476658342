"""Parse wire copy and print it as JSON, without touching the database."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles import services, wire


class Command(BaseCommand):
    help = (
        "Parse agency wire copy and print the structure as JSON: one object per file, "
        "a list when several. Touches no database."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", type=Path)

    def handle(self, *args, files, verbosity, **options):
        parsed, failures = [], []
        for path in files:
            try:
                story = services.parse_copy(services.read_copy(path))
            except (wire.WireError, OSError) as exc:
                failures.append(f"{path}: {services.failure_reason(exc)}")
                continue
            if verbosity >= 1:
                for warning in story.warnings:
                    self.stderr.write(f"{path}: warning: {warning}")
            parsed.append(story.as_dict())
        if parsed:
            output = parsed[0] if len(files) == 1 else parsed
            self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))
        if failures:
            for failure in failures[:-1]:
                self.stderr.write(self.style.ERROR(failure))
            raise CommandError(failures[-1], returncode=1)
