"""Set up and serve the local demo: migrate, load the demo stories, add a demo editor."""

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from articles.models import Story
from articles.services.fixtures import DEMO_FIXTURE
from articles.site import caching

DEMO_USERNAME = "editor"
DEMO_PASSWORD = "newsroom-demo"
ADDRESS = "127.0.0.1:8000"


def demo_checksums() -> list[str]:
    """The copy checksums that name the fixture's stories (their natural keys)."""
    objects = json.loads(DEMO_FIXTURE.read_text(encoding="utf-8"))
    return [o["fields"]["source_checksum"] for o in objects if o["model"] == "articles.story"]


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
        if Story.objects.filter(source_checksum__in=demo_checksums()).exists():
            # Loading again would put back the fixture's words over the desk's edits.
            self.stdout.write("The demo stories are already here; leaving them as they are.")
        else:
            call_command("loaddata", DEMO_FIXTURE, verbosity=verbosity)
            # A first revision for each story: history and conflict messages need a base.
            call_command("createinitialrevisions", "articles.Story", verbosity=0)
            # Fixtures carry no search fields; compute them.
            call_command("rebuild_search", verbosity=max(verbosity - 1, 0))
            caching.invalidate()
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
