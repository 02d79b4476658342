"""Set up and serve the local demo: migrate, load the demo stories, add a demo editor."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from articles.fixtures import DEMO_FIXTURE

DEMO_USERNAME = "editor"
DEMO_PASSWORD = "newsroom-demo"
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
        call_command("loaddata", DEMO_FIXTURE, verbosity=verbosity)
        # A first revision for each story, so history and conflict messages have a base.
        call_command("createinitialrevisions", "articles.Story", verbosity=0)
        # Loading a fixture empties the stored search fields; compute them again.
        call_command("rebuild_search", verbosity=max(verbosity - 1, 0))
        self.ensure_demo_editor()
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

    def ensure_demo_editor(self):
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
