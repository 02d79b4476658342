"""The desk's limits at archive size: admin search, a story at the section limit, the parser.

    uv run python benchmarks/desk.py            # --stories 10000 --repeat 5

Makes a scratch PostgreSQL database, fills it with ``generate_stories.py``, then measures,
in this process through Django's test client (no server, so the figures are the app's own
time plus PostgreSQL's):

- the story admin's search (a common word, a rare word, a dateline place), and, for
  comparison, the query the admin ran before it searched the index (``DISTINCT`` over every
  column, joined with every section);
- opening and saving the change form of a story at the section limit (100 sections);
- the parser refusing copy with 10,000 subheadings.

Prints the median of ``--repeat`` runs of each; the database is dropped at the end.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchlib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(repeat: int) -> None:
    """Run with DATABASE_URL pointing at the filled database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from articles import wire
    from articles.models import Section, Story
    from tests.factories import make_story, story_form_data

    setup_test_environment()
    user = get_user_model().objects.create_superuser("bench", password="bench-pass-1234")
    client = Client()
    client.force_login(user)
    from django.contrib import admin

    changelist = reverse("admin:articles_story_changelist")
    story_admin = admin.site.get_model_admin(Story)
    rows = [
        (
            "admin story list, no search (whole page)",
            median_ms(lambda: client.get(changelist), repeat),
        )
    ]
    for label, term in (
        ("common word", "Azerbaijan"),
        ("rare word", "peacekeepers"),
        (
            "dateline place",
            "BAKU",
        ),
    ):

        def search(term=term):
            response = client.get(changelist, {"q": term})
            assert response.status_code == 200, response.status_code

        def after(term=term):
            found, _ = story_admin.get_search_results(None, Story.objects.all(), term)
            found.count(), list(found[:100])

        def before(term=term):
            fields = ["headline", "standfirst", "sections__subheading", "sections__body"]
            fields += ["dateline_place", "dateline_credit"]
            wanted = Q()
            for field in fields:
                wanted |= Q(**{f"{field}__icontains": term})
            found = Story.objects.filter(wanted).distinct()
            found.count(), list(found[:100])

        rows.append((f"admin search, {label} (whole page)", median_ms(search, repeat)))
        rows.append((f"  its query: count and 100 rows, {label}", median_ms(after, repeat)))
        rows.append((f"  before: DISTINCT over sections, {label}", median_ms(before, repeat)))

    story = make_story(
        sections=[("" if n == 0 else f"Part {n}", [f"Paragraph {n}."]) for n in range(100)]
    )
    change = reverse("admin:articles_story_change", args=[story.pk])
    rows.append(("change form, 100 sections (GET)", median_ms(lambda: client.get(change), repeat)))

    def save():
        story.refresh_from_db()
        response = client.post(change, story_form_data(story, headline=f"Saved {time.time()}"))
        assert response.status_code == 302, response.status_code

    rows.append(("change form, 100 sections (save)", median_ms(save, repeat)))
    assert Section.objects.filter(story=story).count() == 100

    copy = "Headline\n\nBAKU (AFP) - Lead.\n" + "".join(
        f"- Part {n} -\nText.\n" for n in range(10_000)
    )

    def refuse():
        try:
            wire.parse(copy)
        except wire.WireError:
            return
        raise AssertionError("accepted")

    rows.append(("parser refuses 10,000 subheadings", median_ms(refuse, repeat)))
    stories = Story.objects.count()
    print(f"\n{stories:,} stories, median of {repeat} runs\n")
    for label, ms in rows:
        print(f"{label:<52} {ms:>9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.repeat)
        return
    name = benchlib.scratch_name("desk")
    url = benchlib.create_database(name)
    try:
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="newsroom.settings")
        env.pop("REDIS_URL", None)
        benchlib.log(f"migrating {name}")
        benchlib.manage(env, "migrate", "--no-input")
        benchlib.log(f"making {args.stories:,} stories")
        generate = [sys.executable, "benchmarks/generate_stories.py", "--count", str(args.stories)]
        subprocess.run(generate, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        benchlib.log("measuring")
        measure_command = [sys.executable, __file__, "--measure", "--repeat", str(args.repeat)]
        subprocess.run(measure_command, cwd=ROOT, env=env, check=True)
    finally:
        benchlib.drop_database(name)


if __name__ == "__main__":
    main()
