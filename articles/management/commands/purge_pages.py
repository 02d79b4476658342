"""Purge cached public pages: every one, or those showing what some surrogate keys name.

Every change made through the site purges what it touches by itself. Run this after what
the site cannot see: a deploy that changed the templates, SQL by hand, or a
``QuerySet.update()`` in a shell.
"""

from django.core.management.base import BaseCommand

from articles import services


class Command(BaseCommand):
    help = (
        "Purge cached public pages, in Django's cache and in every Varnish of "
        "VARNISH_PURGE_URLS: all of them, or only those showing the given surrogate keys "
        "(story-12, tag-3, tag-3-stories, place-baku, latest, search, sitemap)."
    )

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", help="Surrogate keys (default: every page).")

    def handle(self, *args, keys, verbosity, **options):
        if keys:
            services.purge_pages(keys)
        else:
            services.purge_everything()
        if verbosity >= 1:
            what = " ".join(keys) if keys else "every page"
            self.stdout.write(f"Purged {what}.")
