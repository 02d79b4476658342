"""Scale: page latency from 1,000 to 1,000,000 stories, through a real HTTP server.

    uv run python benchmarks/scale.py                              # 1,000, 10,000, 100,000
    uv run python benchmarks/scale.py --sizes 1000,10000 --requests 100
    uv run python benchmarks/scale.py --sizes 10000,1000000 --keep # keeps bench_scale_<size>

Needs PostgreSQL on 127.0.0.1:5432. CI does not run it.

For each size it creates a fresh PostgreSQL database, migrates it, fills it with
``benchmarks/generate_stories.py`` (bulk ``COPY``: published stories with two to four
sections and three tags each, then the search fields with the app's own SQL), runs
``VACUUM ANALYZE`` (as autovacuum would), and starts gunicorn with
``newsroom/gunicorn.py`` (DEBUG off, one worker, one thread, page caching off with
``PAGE_CACHE_SECONDS=0`` so every request reaches the database; Redis as its cache, as in
production, emptied before each size so that no fragment is left from another size or
run) pinned to core 0. This
script, pinned to core 1, then asks for each page over one keep-alive connection
(``http.client``): a few warm-up requests, then ``--requests`` timed ones, one after the
other, and reports p50 and p95 in milliseconds, and how many stories each page listed.

Pages: the home page; a story page (a different story at each request, from the middle of
the home list on, so that its related stories are worked out every time instead of coming
from their cached fragment); a tag page (``/tags/topic-0001/``, the second most common tag:
a few percent of the stories); a place page (``/places/baku/``, about 1/30); a deep page of
the home list, from the cursor of the story at 90% of the list
(``articles.site.pagination.cursor_for``, as the "Older stories" link makes it); search for
the most common word (``Azerbaijan``, in nearly every story), for a word in a few percent of them
(``Nairobi``, a dateline place: the costliest kind of word to find the newest 1,000 matches
of) and for a misspelt name (``Pashinian`` for Pashinyan, which only typo tolerance finds).

Each database is dropped after its size is measured, and the server stopped, on failure
too. With ``--keep`` the databases are named ``bench_scale_<size>`` and kept; a later run
with ``--keep`` reuses one that holds that many stories (migrating it, so a new index is
built), without generating again: 1,000,000 stories take about 20 minutes to make.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import benchlib
import psycopg
import redis
from benchlib import CLIENT_CORE, HOST, ROOT, Server, log

sys.path.insert(0, str(ROOT))
from articles.site.pagination import cursor_for

PAGES = [
    "home",
    "story",
    "tag",
    "place",
    "deep home",
    "search common",
    "search 3% word",
    "search typo",
]
FIXED_PATHS = {
    "home": "/",
    "tag": "/tags/topic-0001/",
    "place": "/places/baku/",
    "search common": "/search/?q=Azerbaijan",
    "search 3% word": "/search/?q=Nairobi",
    "search typo": "/search/?q=Pashinian",
}
MAX_SECONDS_PER_PAGE = 120
REQUEST_TIMEOUT = 20
GENERATE_TIMEOUT = 3 * 3600
# p95 targets at the largest size, in ms (the story page has only the growth target).
TARGET_P95_MS = {
    "home": 50,
    "tag": 50,
    "place": 50,
    "deep home": 50,
    "search common": 100,
    "search 3% word": 50,
    "search typo": 50,
}
GROWTH_LIMIT = 1.5


def deep_cursor(db_url: str, fraction: float = 0.9) -> tuple[str, int]:
    """The cursor after the story at ``fraction`` of the home list, and that position."""
    with psycopg.connect(db_url) as conn:
        published = "status = 'published' AND published_at <= now()"
        (count,) = conn.execute(
            f"SELECT count(*) FROM articles_story WHERE {published}"
        ).fetchone()
        position = int(count * fraction)
        pk, published_at = conn.execute(
            f"SELECT id, published_at FROM articles_story WHERE {published} "
            "ORDER BY published_at DESC, id DESC OFFSET %s LIMIT 1",
            [position],
        ).fetchone()
    return cursor_for(SimpleNamespace(pk=pk, published_at=published_at)), position


def middle_stories(db_url: str, count: int) -> list[str]:
    """The addresses of ``count`` stories from the middle of the home list on (the server
    runs in UTC)."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT slug, published_at AT TIME ZONE 'UTC' FROM articles_story "
            "WHERE status = 'published' AND published_at <= now() "
            "ORDER BY published_at DESC, id DESC "
            "OFFSET (SELECT count(*) / 2 FROM articles_story) LIMIT %s",
            [count],
        ).fetchall()
    return [f"/{published_at:%Y/%m/%d}/{slug}/" for slug, published_at in rows]


def measure(
    port: int, paths: str | list[str], *, warmup: int, count: int
) -> tuple[list[float], bytes]:
    """Milliseconds per request for ``count`` requests on one keep-alive connection, to
    ``paths`` in turn when there are several."""
    paths = [paths] if isinstance(paths, str) else paths
    path = paths[0]
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    timings: list[float] = []
    body = b""
    deadline = time.monotonic() + MAX_SECONDS_PER_PAGE
    try:
        for number in range(warmup + count):
            if time.monotonic() > deadline:
                log(f"  {path}: stopped after {MAX_SECONDS_PER_PAGE} s")
                break
            path = paths[number % len(paths)]
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
            except TimeoutError:
                log(f"  {path}: no answer in {REQUEST_TIMEOUT} s; stopped")
                break
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status} (see the gunicorn log)")
            if number >= warmup:
                timings.append(elapsed)
    finally:
        conn.close()
    return timings, body


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def story_count(name: str) -> int | None:
    """How many stories the database ``name`` holds, or None when it is not there (or is
    not migrated)."""
    try:
        with psycopg.connect(benchlib.database_url(name)) as conn:
            return conn.execute("SELECT count(*) FROM articles_story").fetchone()[0]
    except psycopg.Error:
        return None


def prepare_database(size: int, args, tmp: Path, name: str) -> tuple[str, dict, str]:
    """The database of ``size`` stories, migrated, filled and vacuumed, the server's
    environment, and a line about it for the report; a kept one is reused as it is."""
    reuse = args.keep and story_count(name) == size
    db_url = benchlib.database_url(name) if reuse else benchlib.create_database(name)
    # Redis, as in production, emptied: fragments left by another size or an earlier run
    # of a kept database (same story ids) would be read instead of worked out.
    redis.Redis.from_url(args.redis_url).flushdb()
    env = benchlib.base_env(
        db_url, tmp / "static", PAGE_CACHE_SECONDS="0", REDIS_URL=args.redis_url
    )
    log(f"{size:,}: database {name}{' (kept: reused)' if reuse else ''}, migrating")
    benchlib.manage(env, "migrate", "--no-input")
    if not (tmp / "static" / "staticfiles.json").exists():
        benchlib.manage(env, "collectstatic", "--no-input")  # pages name hashed files
    made = f"{name}, kept: reused"
    if not reuse:
        started = time.perf_counter()
        generated = subprocess.run(
            [sys.executable, "benchmarks/generate_stories.py", "--count", str(size)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=GENERATE_TIMEOUT,
        )
        if generated.returncode != 0:
            raise RuntimeError(f"generate_stories.py failed:\n{generated.stderr[-3000:]}")
        made = f"{name}, generated in {time.perf_counter() - started:.0f} s"
        log(f"{size:,}: {generated.stdout.strip()} ({made}, with start-up)")
    started = time.perf_counter()
    with psycopg.connect(db_url, autocommit=True) as conn:
        # What autovacuum does to a live database after so many inserts: statistics, and
        # the visibility map that lets index-only scans skip the table.
        conn.execute("VACUUM ANALYZE")
        (db_size,) = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    log(f"{size:,}: VACUUM ANALYZE in {time.perf_counter() - started:.1f} s; "
        f"database {db_size / 1e9:.2f} GB")  # fmt: skip
    return db_url, env, f"{size:,}: {db_size / 1e9:.2f} GB ({made})"


def run_size(size: int, args, tmp: Path) -> dict[str, dict]:
    name = f"bench_scale_{size}" if args.keep else benchlib.scratch_name(f"scale_{size}")
    server = None
    try:
        db_url, env, about = prepare_database(size, args, tmp, name)
        cursor, position = deep_cursor(db_url)
        paths = dict(FIXED_PATHS)
        paths["deep home"] = f"/?before={cursor}"
        paths["story"] = middle_stories(db_url, args.warmup + args.requests)
        server = Server(env, tmp / f"scale-{size}.log").start()
        os.sched_setaffinity(0, {CLIENT_CORE})  # this process is the client
        results = {}
        for page in PAGES:
            timings, body = measure(
                server.port, paths[page], warmup=args.warmup, count=args.requests
            )
            items = len(re.findall(rb'class="story-card', body))
            results[page] = {
                "path": paths[page] if isinstance(paths[page], str) else paths[page][0],
                "p50": percentile(timings, 0.50),
                "p95": percentile(timings, 0.95),
                "mean": statistics.fmean(timings) if timings else float("nan"),
                "n": len(timings),
                "items": items,
            }
            log(
                f"{size:,}: {page:<14} p50 {results[page]['p50']:6.1f} ms  "
                f"p95 {results[page]['p95']:6.1f} ms  ({items} stories listed, "
                f"{len(timings)} requests)"
            )
        results["deep home"]["note"] = f"after story {position:,}"
        results["database"] = about
        return results
    finally:
        if server is not None:
            server.stop()
            errors = server.errors_logged()
            if errors:
                log(f"{size:,}: {len(errors)} error line(s) in the gunicorn log:")
                print(server.log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
        if args.keep:
            log(f"{size:,}: server stopped, database {name} kept")
        else:
            benchlib.drop_database(name)
            log(f"{size:,}: server stopped, database {name} dropped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/7",
        help="the server's cache, as in production (emptied before each size)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the databases (bench_scale_<size>) and reuse kept ones",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if not all(1 <= size <= 1_000_000 for size in sizes) or not 1 <= args.requests <= 5000:
        parser.error("sizes 1-1,000,000; requests 1-5,000")
    benchlib.on_sigterm_raise()
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    everything: dict[int, dict] = {}
    try:
        for size in sizes:
            everything[size] = run_size_pinned(size, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(sizes, everything, args)


def run_size_pinned(size: int, args, tmp: Path) -> dict[str, dict]:
    # The client is pinned once the server runs; generation before that uses both cores.
    original = os.sched_getaffinity(0)
    try:
        return run_size(size, args, tmp)
    finally:
        os.sched_setaffinity(0, original)


def report(sizes: list[int], everything: dict[int, dict], args) -> None:
    print()
    print(f"Scale, {time.strftime('%Y-%m-%d')}, commit {benchlib.git_commit()}")
    print(
        f"gunicorn 1 worker x 1 thread on core 0, page caching off; client on core 1; "
        f"{args.requests} requests per page after {args.warmup} warm-up; ms"
    )
    small, large = sizes[0], sizes[-1]
    header = ["page"] + [f"{size:,} p50/p95" for size in sizes]
    if len(sizes) > 1:
        header += [f"{large // 1000}k/{small // 1000 or small}k p50", "p95"]
    rows = []
    for page in PAGES:
        row = [page]
        for size in sizes:
            figures = everything[size][page]
            short = f" (n={figures['n']})" if figures["n"] < args.requests else ""
            row.append(f"{figures['p50']:.1f} / {figures['p95']:.1f}{short}")
        if len(sizes) > 1:
            first, last = everything[small][page], everything[large][page]
            row += [f"{last['p50'] / first['p50']:.2f}x", f"{last['p95'] / first['p95']:.2f}x"]
        rows.append(row)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                        for i, cell in enumerate(row)))  # fmt: skip
    print("databases: " + "; ".join(everything[size]["database"] for size in sizes))
    print(
        "stories listed per page at the largest size: "
        + ", ".join(f"{page} {everything[large][page]['items']}" for page in PAGES)
    )
    # NaN (no answers) fails every comparison, so it counts as missed.
    slow = [
        f"{page} {everything[large][page]['p95']:.1f} ms"
        for page, limit in TARGET_P95_MS.items()
        if not everything[large][page]["p95"] < limit
    ]
    targets = ", ".join(f"{page} {limit}" for page, limit in TARGET_P95_MS.items())
    print(
        f"target p95 at {large:,} ({targets} ms): "
        + ("MET" if not slow else f"MISSED ({', '.join(slow)})")
    )
    if len(sizes) > 1:
        grown = [
            page
            for page in PAGES
            if not everything[large][page]["p95"] <= GROWTH_LIMIT * everything[small][page]["p95"]
        ]
        print(
            f"target p95 at {large:,} <= {GROWTH_LIMIT}x p95 at {small:,}: "
            + ("MET" if not grown else f"MISSED ({', '.join(grown)})")
        )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
