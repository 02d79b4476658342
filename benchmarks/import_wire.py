"""Import: the time ``manage.py import_wire`` takes for 10,000 wire files.

    uv run python benchmarks/import_wire.py                 # 10,000 files, as drafts
    uv run python benchmarks/import_wire.py --publish       # import_wire --publish
    uv run python benchmarks/import_wire.py --files 2000 --profile
    uv run python benchmarks/import_wire.py --sqlite        # into a SQLite file instead

Needs PostgreSQL on 127.0.0.1:5432 (``BENCH_PG``), except with ``--sqlite``, which imports
into a fresh SQLite file in the temporary folder. CI does not run it.

It writes ``--files`` distinct pieces of wire copy into a temporary folder, varied from the
seed in ``fixtures/source/``: another headline, timestamp line, dateline place, date and
credit; the paragraphs of each section in another order, some left out; CRLF line endings
now and then, and the website leftovers at the end now and then. Every file is parsed
first with ``articles.wire.parse`` (it must have its timestamp, dateline and headline, and
a checksum no other file has). Then, into a fresh database (created and migrated here),
it runs the real command as a subprocess, once, with every file on its command line,
``manage.py import_wire FILE...``, and times it from start to exit (Django's start-up
included). It checks that exactly one story per file exists, and reports files per second.

When the import takes longer than 60 s (the target), or with ``--profile`` (never with
``--no-profile``), it imports the first 1,000 files again into another fresh database under
cProfile, and prints where the time goes. The databases and the files are removed at the
end, on failure too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pstats
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchlib
import psycopg
from benchlib import ROOT, log

sys.path.insert(0, str(ROOT))
from articles import wire

WIRE_TZ = "Asia/Dhaka"
TARGET_SECONDS = 60
PROFILE_FILES = 1000
PLACES = [
    "BAKU", "YEREVAN", "MOSCOW", "KYIV", "PARIS", "LONDON", "WASHINGTON", "BEIJING",
    "TOKYO", "NEW DELHI", "DHAKA", "NAIROBI", "LAGOS", "CAIRO", "ISTANBUL", "BERLIN",
    "GENEVA", "TBILISI", "ANKARA", "BRUSSELS",
]  # fmt: skip
# Not "dpa": the parser takes a lower-case credit for something other than a dateline.
CREDITS = ["AFP", "BSS/AFP", "Reuters", "AP", "AFP/Getty"]
SUBJECTS = [
    "Azerbaijan", "Armenia", "Karabakh separatists", "Russian peacekeepers", "Yerevan",
    "Baku", "Pashinyan", "Aliyev", "The EU", "Washington", "Turkey", "Moscow", "Protesters",
    "Refugees", "Separatist leaders", "Mediators",
]  # fmt: skip
VERBS = [
    "claims", "rejects", "welcomes", "warns of", "agrees to", "calls for", "denies",
    "announces", "demands", "hails", "questions", "seeks",
]  # fmt: skip
OBJECTS = [
    "victory", "ceasefire", "truce deal", "peace talks", "safe passage", "new sanctions",
    "humanitarian corridor", "reintegration plan", "prisoner exchange", "border talks",
    "evacuation", "disarmament",
]  # fmt: skip
QUALIFIERS = [
    "after Karabakh surrender", "as crisis deepens", "in televised address", "amid protests",
    "after talks in Brussels", "as evacuations begin", "despite warnings", "at UN meeting",
    "after overnight clashes", "as deadline nears", "", "",
]  # fmt: skip
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def make_copies(count: int, folder: Path, seed: int) -> list[Path]:
    """``count`` distinct files of wire copy that parse, varied from the seed story."""
    source = next((ROOT / "fixtures" / "source").glob("*.txt"))
    parsed = wire.parse(source.read_bytes(), wire_tz=WIRE_TZ)
    sections = [(s.subheading, list(s.paragraphs)) for s in parsed.sections]
    rng = random.Random(seed)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    seen: set[str] = set()
    paths = []
    while len(paths) < count:
        when = start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        headline = " ".join(
            [
                rng.choice(SUBJECTS),
                rng.choice(VERBS),
                rng.choice(OBJECTS),
                rng.choice(QUALIFIERS),
            ]
        ).strip()
        place, credit = rng.choice(PLACES), rng.choice(CREDITS)
        dateline = (
            f"{place}, {wire.WIRE_MONTHS[when.month - 1]} {when.day}, {when.year} ({credit}) -"
        )
        lines = [f"{when.day} {MONTHS[when.month - 1]} {when.year}, {when:%H:%M}", headline]
        for number, (subheading, paragraphs) in enumerate(sections):
            if number == 0:
                lead, rest = paragraphs[0], paragraphs[1:]
            else:
                lead, rest = None, list(paragraphs)
                lines.append(f"- {subheading} -")
            rng.shuffle(rest)
            keep = rest[: max(1, len(rest) - rng.randint(0, 2))]
            if lead is not None:
                keep.insert(0, f"{dateline} {lead}")
            lines += keep
        text = "\n\n".join(lines) + "\n"
        if rng.random() < 0.2:
            text += "\n  • Latest News\n  • Most Viewed\n"
        if rng.random() < 0.1:
            text = text.replace("\n", "\r\n")
        story = wire.parse(text.encode(), wire_tz=WIRE_TZ)
        if story.checksum in seen:
            continue
        if story.headline != headline or story.dateline is None or story.published_at is None:
            raise RuntimeError(f"copy {len(paths)} did not parse as meant: {story.warnings}")
        seen.add(story.checksum)
        path = folder / f"w{len(paths):05d}.txt"
        path.write_bytes(text.encode())
        paths.append(path)
    return paths


def fresh_database(purpose: str, tmp: Path, sqlite: bool) -> tuple[str | None, dict[str, str]]:
    """A migrated scratch database and the environment pointing at it; the name of a
    PostgreSQL one to drop afterwards, None for a SQLite file (removed with ``tmp``)."""
    if sqlite:
        name, db_url = None, f"sqlite:///{tmp / (purpose + '.sqlite3')}"
    else:
        name = benchlib.scratch_name(purpose)
        db_url = benchlib.create_database(name)
    env = benchlib.base_env(db_url, tmp / "static")
    benchlib.manage(env, "migrate", "--no-input")
    return name, env


def import_files(env, paths: list[Path], folder: Path, publish: bool, profile: Path | None):
    """Run ``manage.py import_wire`` on every file; returns (seconds, stdout, stderr)."""
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += [str(ROOT / "manage.py"), "import_wire"]
    if publish:
        command.append("--publish")
    command += [path.name for path in paths]  # short names: the folder is the cwd
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=1800
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"import_wire failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return seconds, result.stdout, result.stderr


def count_stories(env) -> tuple[int, int, dict[str, int]]:
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        conn = contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///")))
    else:
        conn = psycopg.connect(url)
    with conn as db:
        total, distinct = db.execute(
            "SELECT count(*), count(DISTINCT source_checksum) FROM articles_story"
        ).fetchone()
        statuses = dict(
            db.execute("SELECT status, count(*) FROM articles_story GROUP BY status").fetchall()
        )
    return total, distinct, statuses


def print_profile(path: Path, seconds: float, files: int) -> None:
    stats = pstats.Stats(str(path))
    total = stats.total_tt
    print(f"\nProfile of import_wire on {files:,} files ({seconds:.1f} s wall, cProfile on):")
    # Time waiting for PostgreSQL (psycopg blocks in its wait functions) against the rest.
    waiting = sum(
        row[3]
        for (filename, _, name), row in stats.stats.items()
        if "psycopg" in filename and name in {"wait", "wait_c", "_wait"}
    )
    print(f"  total profiled {total:.1f} s; waiting on PostgreSQL about {waiting:.1f} s")
    for order, limit in (("cumulative", 40), ("tottime", 20)):
        buffer = io.StringIO()
        pstats.Stats(str(path), stream=buffer).strip_dirs().sort_stats(order).print_stats(limit)
        text = buffer.getvalue()
        print(f"\n  by {order}:")
        print("\n".join("  " + line for line in text.splitlines()[6:] if line.strip()))


QUERY_BREAKDOWN = r"""
import collections, re, sys
from pathlib import Path
from django.db import connection
from articles import services
files = [Path(name) for name in sys.stdin.read().split()]
publish = PUBLISH
kinds = collections.Counter()

def count(execute, sql, params, many, context):
    verb = re.match(r"\s*(RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|[A-Z]+)", sql)[1]
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
    kinds[verb + (" " + table[1] if table and "SAVEPOINT" not in verb else "")] += 1
    return execute(sql, params, many, context)

for path in files[:10]:  # warm-up: the first tags exist afterwards
    services.import_wire_copy(data=path.read_bytes(), publish=publish)
with connection.execute_wrapper(count):
    for path in files[10:]:
        services.import_wire_copy(data=path.read_bytes(), publish=publish)
n = len(files) - 10
print(f"queries per file: {sum(kinds.values()) / n:.1f}")
for kind, number in kinds.most_common(14):
    print(f"  {number / n:5.1f}  {kind}")
"""


def query_breakdown(env, paths: list[Path], publish: bool) -> str:
    """Queries per file by kind, importing with the service in-process (``manage.py shell``)."""
    code = QUERY_BREAKDOWN.replace("PUBLISH", str(publish))
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        input="\n".join(str(path) for path in paths),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        return f"(query breakdown failed: {result.stderr[-500:]})"
    return result.stdout[result.stdout.index("queries per file") :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--publish", action="store_true", help="import_wire --publish")
    parser.add_argument("--profile", action="store_true", help="profile even when fast")
    parser.add_argument("--no-profile", action="store_true", help="never profile")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sqlite", action="store_true", help="into SQLite, not PostgreSQL")
    args = parser.parse_args()
    if not 1 <= args.files <= 50_000:
        parser.error("files: 1-50,000")
    benchlib.on_sigterm_raise()
    tmp = Path(tempfile.mkdtemp(prefix="bench-wire-"))
    folder = tmp / "wire"
    folder.mkdir()
    databases: list[str | None] = []
    engine = "SQLite" if args.sqlite else "PostgreSQL"
    try:
        log(f"writing {args.files:,} files of wire copy into {folder}")
        started = time.perf_counter()
        paths = make_copies(args.files, folder, args.seed)
        log(f"written and parsed in {time.perf_counter() - started:.1f} s")

        name, env = fresh_database("import", tmp, args.sqlite)
        databases.append(name)
        log(f"database {name or engine}; manage.py import_wire{' --publish' * args.publish} ...")
        seconds, stdout, _ = import_files(env, paths, folder, args.publish, None)
        total, distinct, statuses = count_stories(env)
        imported = stdout.count(": imported as story")

        profile_seconds = None
        if (seconds > TARGET_SECONDS or args.profile) and not args.no_profile:
            subset = paths[:PROFILE_FILES]
            name, env = fresh_database("import_profile", tmp, args.sqlite)
            databases.append(name)
            log(f"profiling import_wire on {len(subset):,} files into {name or engine}")
            profile_seconds, _, _ = import_files(
                env, subset, folder, args.publish, tmp / "import.prof"
            )

        print()
        print(f"Import, {time.strftime('%Y-%m-%d')}, commit {benchlib.git_commit()}")
        print(
            f"manage.py import_wire{' --publish' * args.publish} with {len(paths):,} files "
            f"on one command line (a subprocess; Django start-up included), {engine}"
        )
        print(f"total {seconds:.1f} s, {len(paths) / seconds:,.0f} files/s")
        print(
            f"stories in the database: {total:,} ({distinct:,} distinct copies; "
            f"{', '.join(f'{k} {v:,}' for k, v in sorted(statuses.items()))}); "
            f"reported imported: {imported:,}"
        )
        ok = total == len(paths) == distinct
        print(f"one story per file: {'yes' if ok else 'NO'}")
        met = seconds < TARGET_SECONDS and ok
        print(
            f"target {len(paths):,} files in under {TARGET_SECONDS} s: "
            f"{'MET' if met else 'MISSED'} ({seconds:.1f} s)"
            + ("" if len(paths) == 10_000 else " (the target is for 10,000 files)")
        )
        if profile_seconds is not None:
            print_profile(tmp / "import.prof", profile_seconds, min(len(paths), PROFILE_FILES))
            name, env = fresh_database("import_queries", tmp, args.sqlite)
            databases.append(name)
            print(
                f"\nQueries, importing {min(len(paths), 200) - 10:,} files with the service "
                "in-process (articles.services.import_wire_copy) after 10 to warm up:"
            )
            print(query_breakdown(env, paths[:200], args.publish))
        if not ok:
            sys.exit(1)
    finally:
        dropped = [name for name in databases if name is not None]
        for name in dropped:
            benchlib.drop_database(name)
        shutil.rmtree(tmp, ignore_errors=True)
        log(f"cleaned up: databases {', '.join(dropped) or '(none)'} dropped, files removed")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
