"""Import wire copy as stories: idempotent, one transaction per file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles import services, wire


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
        for path in files:
            try:
                sidecar = services.read_sidecar(path)
                result = services.import_wire_copy(
                    data=services.read_copy(path),
                    publish=publish or sidecar.status == "published",
                    tags=sidecar.tags,
                )
            except (wire.WireError, services.SidecarError, OSError) as exc:
                failed += 1
                reason = services.failure_reason(exc)
                self.stderr.write(self.style.ERROR(f"{path}: {reason}"))
                continue
            story = result.story
            if verbosity >= 1:
                if result.created:
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"{path}: imported as story {story.pk} ({story.status}): "
                            f"{story.headline}"
                        )
                    )
                else:
                    self.stdout.write(f"{path}: already imported as story {story.pk}")
        if failed:
            raise CommandError(f"{failed} of {len(files)} files could not be imported.")
