"""Fill a database with N published stories, with sections and tags, quickly (bulk COPY).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench \\
        uv run python benchmarks/generate_stories.py --count 1000000

PostgreSQL only. Existing stories are left alone; run it on a database made for
benchmarking (migrated). It is deterministic for a given --seed and --count (each batch of
stories has its own random generator, so the content does not depend on --jobs).

**What it makes.** Stories read like news because they are made from the seed story's own
paragraphs (``fixtures/source/``), so search has something real to find:

- a lead and one to three subheaded sections, each of two to four of the seed's paragraphs
  (about 1.3 KB of text a story: a short wire story, so that a million fit the disk);
- three tags each, from ``max(300, count // 100)`` tags ("Topic 0000" ...) of skewed
  popularity, as on a real site: tag *k* is drawn with weight ``1 / (k + 10)``, so the most
  common tags are on a few percent of the stories and most tags on very few;
- one of 30 dateline places (about 1/30 each) and five agency credits;
- publication times spread evenly over the last three years in the order the stories are
  made, give or take six hours (an archive fills in time order; the rows' order on disk
  then follows time, as it does on a live site).

**How.** Batches of --batch stories, made by --jobs processes at once (default: one per
core; the first batch alone, then ``ANALYZE``, so that the rest are planned with
statistics). Each process makes its batch's rows in Python and sends them with ``COPY``
(stories, with their ids; sections, their HTML rendered by the app's own
``paragraphs_html``; tag rows, whose copy of the story's time the database's triggers fill),
in one transaction; then it computes the batch's search fields as the app does after every
write (``articles.services.effects.refresh_search``: one ``UPDATE`` per 500 stories with
the SQL of ``articles.search.indexing``, and the typo lexicon). Most of the time is
PostgreSQL computing the text-search vectors.

While it loads, the three tables' plain indexes (those that back no constraint: the GIN
search indexes, ``published_at``, the tag rows' ``(tag, time)`` index, ...) are dropped,
and afterwards built again from their own definitions (``pg_get_indexdef``), two at a time:
building an index once is much faster than maintaining it row by row. They are rebuilt on
failure or Ctrl-C too. The primary keys and unique constraints stay: the search refresh
reads each story's sections and tags through them.

It prints an estimate of the database's size before it starts, and the real size at the
end. 1,000,000 stories: 8.8 GB, in about 20 minutes on two busy cores, half of it building
the indexes (benchmarks/README.md).
"""

import argparse
import bisect
import itertools
import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
# PostgreSQL's JIT compiles each batch's UPDATE for a quarter of a second (its cost estimate
# is high): more than the UPDATE itself takes. Off for this script's own sessions.
os.environ["PGOPTIONS"] = (os.environ.get("PGOPTIONS", "") + " -c jit=off").strip()

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils.text import slugify  # noqa: E402
from taggit.models import Tag  # noqa: E402

from articles import services  # noqa: E402
from articles.models import (  # noqa: E402
    Section,
    Story,
    TaggedStory,
    paragraphs_html,
    text_from_paragraphs,
)
from articles.services import effects  # noqa: E402
from articles.services.fixtures import SOURCE_DIR  # noqa: E402

PLACES = [
    "BAKU", "YEREVAN", "MOSCOW", "KYIV", "PARIS", "LONDON", "WASHINGTON", "BEIJING",
    "TOKYO", "NEW DELHI", "DHAKA", "NAIROBI", "LAGOS", "CAIRO", "ISTANBUL", "BERLIN",
    "MADRID", "ROME", "SAO PAULO", "BUENOS AIRES", "MEXICO CITY", "OTTAWA", "SYDNEY",
    "JAKARTA", "MANILA", "SEOUL", "TEHRAN", "RIYADH", "DOHA", "GENEVA",
]  # fmt: skip
CREDITS = ["AFP", "BSS/AFP", "Reuters", "AP", "dpa"]
SPAN = timedelta(days=3 * 365)
JITTER_SECONDS = 6 * 3600
TAGS_PER_STORY = 3
# Measured on 1,000,000 stories: 8.8 GB with every index (8.4 GB after VACUUM ANALYZE).
BYTES_PER_STORY = 8_800
STORY_FIELDS = [
    "id", "headline", "slug", "standfirst", "byline", "status", "published_at",
    "created_at", "updated_at", "dateline_place", "place_slug", "dateline_date",
    "dateline_credit", "source_text", "source_checksum", "version", "search_document",
]  # fmt: skip
SECTION_FIELDS = ["story", "position", "subheading", "body", "body_html"]
TAG_ROW_FIELDS = ["content_object", "tag"]
TABLES = [Story._meta.db_table, Section._meta.db_table, TaggedStory._meta.db_table]


def copy_sql(model, names: list[str]) -> str:
    columns = ", ".join(model._meta.get_field(name).column for name in names)
    return f"COPY {model._meta.db_table} ({columns}) FROM STDIN"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--tags", type=int, default=0, help="distinct tags (default: count/100, at least 300)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=10_000, help="stories per transaction")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        parser.error("PostgreSQL only: set DATABASE_URL")
    if args.count < 1 or args.batch < 1:
        parser.error("--count and --batch must be at least 1")
    db_url = os.environ["DATABASE_URL"]
    tag_count = args.tags or max(300, args.count // 100)

    seed = next(SOURCE_DIR.glob("*.txt"))
    parsed = services.parse_copy(seed.read_bytes())
    paragraphs = [p for s in parsed.sections for p in s.paragraphs]
    subheadings = [s.subheading for s in parsed.sections if s.subheading]
    words = sorted({w.strip(".,\"'") for p in paragraphs for w in p.split() if len(w) > 5})
    print(
        f"{args.count:,} stories, {tag_count:,} tags: estimated size "
        f"{args.count * BYTES_PER_STORY / 1e9:.1f} GB more",
        file=sys.stderr,
    )

    started = time.perf_counter()
    Tag.objects.bulk_create(
        [Tag(name=f"Topic {n:04d}", slug=f"topic-{n:04d}") for n in range(tag_count)],
        ignore_conflicts=True,
    )
    tag_ids = list(
        Tag.objects.filter(slug__startswith="topic-")
        .order_by("slug")
        .values_list("pk", flat=True)[:tag_count]
    )
    existing = Story.objects.count()
    first_id = (Story.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    batches = [
        (number, start, min(args.batch, args.count - start))
        for number, start in enumerate(range(0, args.count, args.batch))
    ]
    make = partial(
        make_batch,
        db_url=db_url,
        seed=args.seed,
        count=args.count,
        end=datetime.now(UTC) - timedelta(seconds=JITTER_SECONDS),
        first_id=first_id,
        headline_offset=existing,
        words=words,
        paragraphs=[(p, paragraphs_html(p)) for p in paragraphs],
        subheadings=subheadings,
        tag_ids=tag_ids,
    )
    dropped = drop_plain_indexes(db_url)
    try:
        # The first batch alone, then statistics: without them PostgreSQL plans the
        # refresh's tag names as a scan of every tag for each story.
        done = make(batches[0])
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(f"ANALYZE {Tag._meta.db_table}, {', '.join(TABLES)}")
        # The children open their own connections: none may be shared across fork().
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(max(1, args.jobs)) as pool:
            for size in pool.imap_unordered(make, batches[1:]):
                done += size
                rate = done / (time.perf_counter() - started)
                print(
                    f"\r{done:,} / {args.count:,} stories ({rate:,.0f}/s)",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
        print(file=sys.stderr)
        loaded = time.perf_counter() - started
    finally:
        rebuild_indexes(db_url, dropped, jobs=max(1, args.jobs))
    with psycopg.connect(db_url, autocommit=True) as conn:
        # The stories were given their ids: the sequence goes on after the last one.
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{TABLES[0]}', 'id'), "
            f"(SELECT max(id) FROM {TABLES[0]}))"
        )
        # Statistics of the whole load (the first batch's would mislead the planner).
        conn.execute(f"ANALYZE {Tag._meta.db_table}, {', '.join(TABLES)}")
        (size,) = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    elapsed = time.perf_counter() - started
    print(
        f"{args.count:,} stories in {elapsed:.1f} s ({args.count / elapsed:,.0f}/s; "
        f"load and search fields {loaded:.1f} s, indexes {elapsed - loaded:.1f} s); "
        f"database {size / 1e9:.1f} GB before VACUUM"
    )


def drop_plain_indexes(db_url: str) -> list[tuple[str, str]]:
    """Drop the three tables' indexes that back no constraint; their (name, definition)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), "
            "pg_relation_size(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [TABLES],
        ).fetchall()
        # The GIN indexes first when rebuilding: they take longest.
        rows.sort(key=lambda row: ("USING gin" not in row[1], -row[2]))
        for name, definition, _ in rows:
            print(f"dropped for the load: {definition}", file=sys.stderr)
            conn.execute(f"DROP INDEX {name}")
    return [(name, definition) for name, definition, _ in rows]


def rebuild_indexes(db_url: str, indexes: list[tuple[str, str]], *, jobs: int) -> None:
    started = time.perf_counter()

    def build(definition: str) -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute(definition)

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(build, [definition for _, definition in indexes]))
    print(
        f"{len(indexes)} indexes rebuilt in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


def make_batch(
    batch,
    *,
    db_url,
    seed,
    count,
    end,
    first_id,
    headline_offset,
    words,
    paragraphs,
    subheadings,
    tag_ids,
) -> int:
    """Insert one batch of stories with their sections and tags, then their search fields."""
    number, first, size = batch
    rng = random.Random(f"{seed}-{number}")
    # Tag k drawn with weight 1/(k + 10): a few common tags, a long tail of rare ones.
    cumulative = list(itertools.accumulate(1 / (k + 10) for k in range(len(tag_ids))))
    stories, sections, tagged = [], [], []
    for n in range(first, first + size):
        pk = first_id + n
        headline = " ".join(rng.sample(words, 6)).capitalize() + f" ({headline_offset + n})"
        place = rng.choice(PLACES)
        when = end - SPAN * (1 - (n + 0.5) / count)
        when += timedelta(seconds=rng.uniform(-JITTER_SECONDS, JITTER_SECONDS))
        stories.append(
            (
                pk, headline, slugify(headline)[:80], "", "", Story.Status.PUBLISHED.value, when,
                when, when, place, slugify(place), when.date(), rng.choice(CREDITS), "", "",
                1, "",
            )
        )  # fmt: skip
        for position in range(rng.randint(2, 4)):
            chosen = rng.sample(paragraphs, rng.randint(2, 4))
            sections.append(
                (
                    pk,
                    position,
                    rng.choice(subheadings) if position else "",
                    text_from_paragraphs(text for text, _ in chosen),
                    "".join(html for _, html in chosen),
                )
            )
        chosen_tags: set[int] = set()
        while len(chosen_tags) < TAGS_PER_STORY:
            draw = rng.random() * cumulative[-1]
            chosen_tags.add(tag_ids[min(bisect.bisect(cumulative, draw), len(tag_ids) - 1)])
        tagged += [(pk, tag) for tag in sorted(chosen_tags)]
    with psycopg.connect(db_url) as conn, conn.cursor() as cursor:
        for sql, rows in [
            (copy_sql(Story, STORY_FIELDS), stories),
            (copy_sql(Section, SECTION_FIELDS), sections),
            # Their copy of the story's publication time is filled by the database's triggers.
            (copy_sql(TaggedStory, TAG_ROW_FIELDS), tagged),
        ]:
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
    effects.refresh_search([story[0] for story in stories])
    connections.close_all()
    return size


if __name__ == "__main__":
    main()
