"""Set up and serve the local demo: migrate, load the demo stories, add a demo editor."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from articles.services import fixtures
from articles.services.fixtures import DEMO_PASSWORD, DEMO_USERNAME

ADDRESS = "127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        "Migrate the database, load the demo stories, make sure the demo editor account "
        f"exists and serve the site on http://{ADDRESS}/. For local use only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-serve", action="store_true", help="Set everything up, then stop."
        )

    def handle(self, *args, no_serve, verbosity, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The demo is for local use only (it makes an account with a known "
                "password) and does not run with DEBUG off."
            )
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        loaded = fixtures.load_demo_stories()
        if verbosity >= 1:
            self.stdout.write(
                f"Loaded {loaded} demo stories."
                if loaded
                else "The demo stories are already here; leaving them as they are."
            )
        fixtures.ensure_demo_editor()
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at http://{ADDRESS}/admin/ as {DEMO_USERNAME!r} with password "
                f"{DEMO_PASSWORD!r}."
            )
        )
        self.stdout.write(
            "This account is for local use only: never run the demo on a public server."
        )
        if not no_serve:
            call_command("runserver", ADDRESS, use_reloader=False)
