"""Fill a database with N published stories, with sections and tags, quickly (bulk inserts).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench \\
        uv run python benchmarks/generate_stories.py --count 100000

The stories are made from the seed story's own paragraphs, so they read like news and give
search something real to find. Existing stories are left alone; run it on a database made
for benchmarking. It is deterministic for a given --seed (each batch of stories has its own
random generator, so the content does not depend on --jobs).

Batches are made by --jobs processes at once (default: one per CPU core), each inserting
its batch in one transaction and then computing the batch's search fields as the app does
after every write (``articles.services.effects.refresh_search``, what ``rebuild_search``
runs per batch), so the time goes on both cores: most of it is PostgreSQL computing the
text-search vectors.
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django  # noqa: E402

django.setup()

from django.db import connections, transaction  # noqa: E402
from django.utils.text import slugify  # noqa: E402
from taggit.models import Tag  # noqa: E402

from articles import services  # noqa: E402
from articles.models import Section, Story, TaggedStory  # noqa: E402
from articles.services import effects  # noqa: E402
from articles.services.fixtures import SOURCE_DIR  # noqa: E402

PLACES = [
    "BAKU", "YEREVAN", "MOSCOW", "KYIV", "PARIS", "LONDON", "WASHINGTON", "BEIJING",
    "TOKYO", "NEW DELHI", "DHAKA", "NAIROBI", "LAGOS", "CAIRO", "ISTANBUL", "BERLIN",
    "MADRID", "ROME", "SAO PAULO", "BUENOS AIRES", "MEXICO CITY", "OTTAWA", "SYDNEY",
    "JAKARTA", "MANILA", "SEOUL", "TEHRAN", "RIYADH", "DOHA", "GENEVA",
]  # fmt: skip
CREDITS = ["AFP", "BSS/AFP", "Reuters", "AP", "dpa"]
BATCH = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=300, help="distinct tags to draw from")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    args = parser.parse_args()
    seed = next(SOURCE_DIR.glob("*.txt"))
    parsed = services.parse_copy(seed.read_bytes())
    paragraphs = [p for s in parsed.sections for p in s.paragraphs]
    subheadings = [s.subheading for s in parsed.sections if s.subheading]
    words = sorted({w.strip(".,\"'") for p in paragraphs for w in p.split() if len(w) > 5})

    started = time.perf_counter()
    tags = [Tag(name=f"Topic {n:04d}", slug=f"topic-{n:04d}") for n in range(args.tags)]
    Tag.objects.bulk_create(tags, ignore_conflicts=True)
    tags = list(Tag.objects.filter(slug__startswith="topic-").order_by("slug"))
    offset = Story.objects.count()
    now = datetime.now(UTC)
    batches = [
        (number, offset + start, min(BATCH, args.count - start))
        for number, start in enumerate(range(0, args.count, BATCH))
    ]
    make = partial(
        make_batch,
        seed=args.seed,
        now=now,
        words=words,
        paragraphs=paragraphs,
        subheadings=subheadings,
        tags=tags,
    )
    done = 0
    # The children open their own connections: none may be shared across fork().
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(max(1, args.jobs)) as pool:
        for size in pool.imap_unordered(make, batches):
            done += size
            print(f"\r{done:,} / {args.count:,} stories", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"{args.count:,} stories in {elapsed:.1f} s ({args.count / elapsed:,.0f}/s)")


def make_batch(batch, *, seed, now, words, paragraphs, subheadings, tags) -> int:
    """Insert one batch of stories with their sections and tags, then their search fields."""
    number, first, size = batch
    rng = random.Random(f"{seed}-{number}")
    with transaction.atomic():
        stories = []
        for n in range(first, first + size):
            headline = " ".join(rng.sample(words, 6)).capitalize() + f" ({n})"
            place = rng.choice(PLACES)
            when = now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
            stories.append(
                Story(
                    headline=headline,
                    slug=slugify(headline)[:80],
                    status=Story.Status.PUBLISHED,
                    published_at=when,
                    dateline_place=place,
                    place_slug=slugify(place),
                    dateline_date=when.date(),
                    dateline_credit=rng.choice(CREDITS),
                )
            )
        stories = Story.objects.bulk_create(stories)
        sections, tagged = [], []
        for story in stories:
            for position in range(4):
                sections.append(
                    Section.of_paragraphs(
                        story=story,
                        position=position,
                        subheading=rng.choice(subheadings) if position else "",
                        paragraphs=rng.sample(paragraphs, rng.randint(2, 6)),
                    )
                )
            tagged += [TaggedStory(content_object=story, tag=tag) for tag in rng.sample(tags, 3)]
        Section.objects.bulk_create(sections)
        # Their copy of the story's publication time is filled by the database's triggers.
        TaggedStory.objects.bulk_create(tagged)
    effects.refresh_search([story.pk for story in stories])
    connections.close_all()
    return size


if __name__ == "__main__":
    main()
