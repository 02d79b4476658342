"""Rebuild the demo fixture from the wire copy in fixtures/source/."""

from django.core.management.base import BaseCommand, CommandError

from articles import services, wire
from articles.services.fixtures import DEMO_FIXTURE, SOURCE_DIR, build_demo_fixture


class Command(BaseCommand):
    help = (
        "Rebuild fixtures/demo.json from the copy and sidecars in fixtures/source/. "
        "With --check, change nothing and exit 1 if the committed fixture is stale."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit 1 if fixtures/demo.json differs from what the sources give.",
        )

    def handle(self, *args, check, verbosity, **options):
        try:
            built = build_demo_fixture(SOURCE_DIR)
        except (wire.WireError, services.SidecarError, OSError) as exc:
            raise CommandError(services.failure_reason(exc)) from None
        name = DEMO_FIXTURE.relative_to(DEMO_FIXTURE.parent.parent)
        current = DEMO_FIXTURE.read_text(encoding="utf-8") if DEMO_FIXTURE.exists() else None
        if check:
            if current != built:
                raise CommandError(
                    f"{name} is stale: run `manage.py build_fixtures` and commit it."
                )
            if verbosity >= 1:
                self.stdout.write(self.style.SUCCESS(f"{name} is up to date."))
            return
        if current == built:
            if verbosity >= 1:
                self.stdout.write(f"{name} is already up to date.")
            return
        DEMO_FIXTURE.write_text(built, encoding="utf-8")
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Wrote {name}."))
