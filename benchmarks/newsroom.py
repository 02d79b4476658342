"""Newsroom workload: readers on a Zipf mix of pages while a writer publishes and edits.

    uv run python benchmarks/newsroom.py                    # 3 set-ups x (30 s + 60 s + 60 s)
    uv run python benchmarks/newsroom.py --setups keys,varnish --warmup 5 --duration 10

Needs Debian's wrk, PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 (``--redis-url``,
default database 8, which is **flushed** before each set-up and at the end) and, for the
Varnish set-up, ``varnishd`` with varnish-modules (xkey) and ``deploy/varnish/default.vcl``
(``--vcl`` for another file). CI does not run it.

What it does:

- makes a scratch database with ``--stories`` published stories (``generate_stories.py``,
  then ``VACUUM ANALYZE``) and copies it (``CREATE DATABASE … TEMPLATE``) for each set-up,
  so every set-up starts from the same stories and an empty cache;
- saves the most popular story's page as a static file, served by the same gunicorn at
  ``/static/bench/story.html`` (the yardstick of ``throughput.py``);
- per set-up: gunicorn (production config, one gthread worker x two threads, core 0;
  ``REDIS_URL``), for ``varnish`` also varnishd in front of it (core 0 too), and a writer
  process (the app's services, the server's settings) that publishes a story or edits one
  every 2 s; after each commit, a checker polls the page that must show the change through
  the front every 20 ms and records the delay from the commit to the first response that
  shows it;
- readers: wrk (core 1) with a Lua script walking a precomputed list of paths: story pages
  by Zipf popularity (s = 1.1), the home page, tag pages (Zipf over the tags) and searches;
  its ``response()`` counts cache hits by header (``X-Cache: HIT…`` when present, else an
  ``Age`` header) and its latency histogram gives p50/p95/p99. ``--warmup`` seconds
  unrecorded, then ``--duration`` seconds measured; then the static file with the same wrk
  and script for the same duration.

Set-ups: ``flush`` (``PAGE_CACHE_PURGE=everything``: every change purges every page),
``keys`` (``PAGE_CACHE_PURGE=keys``: a change purges the surrogate keys it touches) and
``varnish`` (``keys`` with Varnish in front, ``VARNISH_PURGE_URLS`` set for the server and
the writer). The databases, servers, Redis database and temporary files are removed at the
end, on failure and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import benchlib
import psycopg
from benchlib import CLIENT_CORE, HOST, ROOT, SERVER_CORE, Server, log

STATIC_PATH = "/static/bench/story.html"
VCL = ROOT / "deploy" / "varnish" / "default.vcl"
ZIPF_S = 1.1
# What readers ask for: share of requests per kind of page.
MIX = {"story": 0.85, "home": 0.07, "tag": 0.05, "search": 0.03}
# Words of the seed story (so searches find something), most asked first.
SEARCH_WORDS = [
    "Azerbaijan", "Karabakh", "Armenia", "ceasefire", "peacekeepers", "Aliyev",
    "refugees", "Baku", "separatists", "Pashinian",
]  # fmt: skip
PATHS_IN_LIST = 200_000  # wrk walks them in order, round and round
WRITE_EVERY = 2.0  # seconds between the writer's changes
POLL_EVERY = 0.02  # seconds between the checker's requests for one change
VISIBLE_TIMEOUT = 30.0  # a change not visible by then counts as "not visible"
STATIC_WARMUP = 3  # seconds of the static file before its measured run

SETUPS = {
    "flush": ("whole-site flush, Django's cache", {"PAGE_CACHE_PURGE": "everything"}, False),
    "keys": ("purge by keys, Django's cache", {"PAGE_CACHE_PURGE": "keys"}, False),
    "varnish": ("purge by keys, Varnish in front", {"PAGE_CACHE_PURGE": "keys"}, True),
}

WRK_SCRIPT = r"""
-- Paths from a file (one a line), in order from an offset; counts cache hits by header.
local paths = {}
local position = 0
local threads = {}
hits, misses, marked = 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  position = (tonumber(args[2]) or 0) % #paths
end

function request()
  position = position + 1
  if position > #paths then position = 1 end
  return wrk.format(nil, paths[position])
end

function response(status, headers, body)
  local cache = headers["X-Cache"] or headers["x-cache"] or headers["X-cache"]
  if cache then
    marked = marked + 1
    if string.find(cache, "^HIT") then hits = hits + 1 else misses = misses + 1 end
  elseif headers["Age"] or headers["age"] then
    marked = marked + 1
    hits = hits + 1
  else
    misses = misses + 1
  end
end

function done(summary, latency, requests)
  local h, m, k = 0, 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    m = m + thread:get("misses")
    k = k + thread:get("marked")
  end
  local e = summary.errors
  io.write(string.format(
    "NEWSROOM requests=%d duration_us=%d hits=%d misses=%d marked=%d connect=%d read=%d " ..
    "write=%d status=%d timeout=%d p50=%d p95=%d p99=%d max=%d\n",
    summary.requests, summary.duration, h, m, k, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""


# ---------------------------------------------------------------------------- the writer


def writer_main(config_path: str) -> None:
    """In its own process, with the server's settings: publish or edit every WRITE_EVERY
    seconds through ``articles.services``, printing one JSON line per commit (its time on
    the system-wide monotonic clock, and the pages that must show it)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils.text import slugify
    from taggit.models import Tag

    from articles import services
    from articles.models import Section, Story, paragraphs_from_text, text_from_paragraphs

    config = json.loads(Path(config_path).read_text())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    rng = random.Random(config["seed"])
    stories, tags = config["ranked_stories"], config["ranked_tags"]
    story_weights = list(
        itertools.accumulate(1 / k ** config["zipf_s"] for k in range(1, 1 + len(stories)))
    )
    tag_weights = list(
        itertools.accumulate(1 / k ** config["zipf_s"] for k in range(1, 1 + len(tags)))
    )
    user, _ = get_user_model().objects.get_or_create(
        username="bench-writer", defaults={"is_staff": True, "is_superuser": True}
    )

    def emit(**event) -> None:
        print(json.dumps(event), flush=True)

    def announce_at_commit(action: str, probes: list[dict]) -> None:
        """Registered first in the transaction, so it runs first after the commit, before
        the services' own callbacks (the purges): the checker starts polling at once."""

        def commit_announced() -> None:
            emit(event="commit", action=action, committed=time.monotonic(), probes=probes)

        transaction.on_commit(commit_announced)

    def publish(n: int, marker: str) -> None:
        tag_slug = rng.choices(tags, cum_weights=tag_weights)[0]
        probes = [
            {"kind": "new story on the home page", "path": "/", "marker": marker},
            {"kind": "new story on its tag page", "path": f"/tags/{tag_slug}/", "marker": marker},
        ]
        with transaction.atomic():
            announce_at_commit("publish", probes)
            headline = f"Newsroom benchmark story {n} {marker}"
            story = Story(
                headline=headline,
                slug=slugify(headline)[:80],
                standfirst=f"A story the benchmark's writer published ({marker}).",
                dateline_place="BAKU",
                place_slug="baku",
                dateline_credit="AFP",
            )
            services.mark_published(story)
            story.dateline_date = story.published_at.date()
            services.create_story(story=story, user=user, comment="Published")
            story.tags.set(list(Tag.objects.filter(slug=tag_slug)))
            sections = [
                Section(subheading="", body=f"The lead of story {n}, {marker}."),
                Section(subheading="More", body="A second section.\n\nWith two paragraphs."),
            ]
            services.save_sections(story=story, sections=sections, user=user)

    def edit(action: str, pk: int, marker: str, *, on_home: bool) -> None:
        probes: list[dict] = []
        with transaction.atomic():
            announce_at_commit(action, probes)  # filled in below, before the commit
            story = Story.objects.get(pk=pk)
            probes.append(
                {"kind": "edited story's page", "path": story.get_absolute_url(), "marker": marker}
            )
            if on_home:
                probes.append(
                    {"kind": "edited headline on the home page", "path": "/", "marker": marker}
                )
            base = re.sub(r" \(edited \w+\)$", "", story.headline)[:250]
            story.headline = f"{base} (edited {marker})"
            services.save_story(story=story, expected_version=story.version, user=user)
            sections = list(story.sections.order_by("position"))
            if sections:
                lead = sections[0]
                kept = [p for p in paragraphs_from_text(lead.body) if not p.startswith("Update:")]
                lead.body = text_from_paragraphs([*kept, f"Update: {marker}."])
            services.save_sections(story=story, sections=sections, user=user)

    emit(event="ready")
    deadline = time.monotonic() + config["lifetime"]
    next_at = time.monotonic()
    skipped = 0
    for n in itertools.count():
        if stop.wait(max(0.0, next_at - time.monotonic())) or time.monotonic() > deadline:
            break
        marker = f"nrb{n:05d}x{rng.getrandbits(32):08x}"
        started = time.monotonic()
        try:
            if n % 2 == 0:
                publish(n, marker)
            elif n % 4 == 1:
                pk = rng.choices(stories, cum_weights=story_weights)[0]
                edit("edit popular", pk, marker, on_home=False)
            else:
                newest = Story.objects.published().order_by("-published_at", "-pk")
                pk = rng.choice(list(newest.values_list("pk", flat=True)[:10]))
                edit("edit on home", pk, marker, on_home=True)
        except Exception as error:  # reported, and the loop goes on
            emit(event="error", error=f"{type(error).__name__}: {error}")
        else:
            # The whole change, its after-commit work (search refresh, purges) included.
            emit(event="done", started=started, took=time.monotonic() - started)
        next_at += WRITE_EVERY
        while next_at < time.monotonic():  # a slow change: the ticks it overran are skipped
            next_at += WRITE_EVERY
            skipped += 1
    emit(event="stopped", skipped=skipped)


# ---------------------------------------------------------------------- the main process


@dataclass
class WrkRun:
    requests: int
    seconds: float
    hits: int
    misses: int
    marked: int
    socket_errors: int
    non_2xx_3xx: int
    p50: float  # ms
    p95: float
    p99: float
    max: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    wrk: str, script: Path, port: int, paths: Path, *, seconds: int, connections: int, offset: int
) -> WrkRun:
    command = benchlib.pinned(
        CLIENT_CORE,
        [
            wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
            "-s", str(script), f"http://{HOST}:{port}/", "--", str(paths), str(offset),
        ],
    )  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    found = re.search(r"^NEWSROOM (.*)$", result.stdout, re.M)
    if result.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout}\n{result.stderr}")
    f = {key: int(value) for key, value in (pair.split("=") for pair in found[1].split())}
    return WrkRun(
        requests=f["requests"],
        seconds=f["duration_us"] / 1e6,
        hits=f["hits"],
        misses=f["misses"],
        marked=f["marked"],
        socket_errors=f["connect"] + f["read"] + f["write"] + f["timeout"],
        non_2xx_3xx=f["status"],
        p50=f["p50"] / 1000,
        p95=f["p95"] / 1000,
        p99=f["p99"] / 1000,
        max=f["max"] / 1000,
    )


@dataclass
class Probe:
    action: str
    kind: str
    path: str
    committed: float
    delay: float | None = None  # seconds from commit to the first response showing it
    polls: int = 0


class Checker:
    """Polls each change's page through the front until it shows the change (bounded by
    VISIBLE_TIMEOUT), one thread per page being waited for."""

    def __init__(self, port: int):
        self.port = port
        self.stop = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=48, thread_name_prefix="checker")
        self.futures: list[Future] = []
        self.probes: list[Probe] = []

    def watch(self, action: str, committed: float, spec: dict) -> None:
        probe = Probe(action, spec["kind"], spec["path"], committed)
        self.probes.append(probe)
        self.futures.append(self.pool.submit(self._poll, probe, spec["marker"].encode()))

    def _poll(self, probe: Probe, marker: bytes) -> None:
        deadline = probe.committed + VISIBLE_TIMEOUT
        conn = None
        while not self.stop.is_set() and time.monotonic() < deadline:
            asked = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", probe.path)
                response = conn.getresponse()
                body = response.read()
                probe.polls += 1
                if response.status == 200 and marker in body:
                    probe.delay = time.monotonic() - probe.committed
                    break
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
            self.stop.wait(max(0.0, POLL_EVERY - (time.monotonic() - asked)))
        if conn is not None:
            conn.close()

    def finish(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for future in self.futures:
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # timed out: stopped below
                break
        self.close()

    def close(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=True, cancel_futures=True)


class Writer:
    """The writer process, and a thread reading its lines into the checker."""

    def __init__(self, env: dict[str, str], config: Path, log_path: Path, checker: Checker):
        self.env, self.config, self.log_path, self.checker = env, config, log_path, checker
        self.proc: subprocess.Popen | None = None
        self.ready = threading.Event()
        self.commits: list[dict] = []
        self.done: list[dict] = []
        self.errors: list[str] = []
        self.skipped = 0
        self.reader: threading.Thread | None = None

    def start(self, timeout: float = 60) -> Writer:
        with open(self.log_path, "ab") as errors:
            # Not pinned, like PostgreSQL and Redis: a change every 2 s is little work.
            self.proc = subprocess.Popen(
                ["taskset", "-c", f"{SERVER_CORE},{CLIENT_CORE}", sys.executable,
                 __file__, "--writer", str(self.config)],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                start_new_session=True,
            )  # fmt: skip
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(timeout):
            raise RuntimeError(f"the writer did not start in {timeout} s; see {self.log_path}")
        return self

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event["event"] == "ready":
                self.ready.set()
            elif event["event"] == "done":
                self.done.append(event)
            elif event["event"] == "commit":
                self.commits.append(event)
                for spec in event["probes"]:
                    self.checker.watch(event["action"], event["committed"], spec)
            elif event["event"] == "error":
                self.errors.append(event["error"])
                log(f"writer: {event['error']}")
            elif event["event"] == "stopped":
                self.skipped = event["skipped"]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # it stops after its current change
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass
        if self.reader is not None:
            self.reader.join(timeout=5)


class Varnish:
    """varnishd in front of one gunicorn, pinned to the server's core, on 127.0.0.1."""

    def __init__(self, vcl: str, port: int, backend_port: int, tmp: Path):
        text, count = re.subn(r'(\.port\s*=\s*")8000(")', rf"\g<1>{backend_port}\2", vcl)
        text, more = re.subn(rf"{re.escape(HOST)}:8000\b", f"{HOST}:{backend_port}", text)
        if not count + more:
            raise RuntimeError("the VCL has no backend at 127.0.0.1:8000 to point at gunicorn")
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="bench-varnish-", dir=tmp))
        self.dir.chmod(0o755)  # varnishd's child runs as its own user
        self.vcl = self.dir / "default.vcl"
        self.vcl.write_text(text)
        self.vcl.chmod(0o644)
        self.log_path = self.dir / "varnishd.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Varnish:
        command = [
            shutil.which("varnishd") or "/usr/sbin/varnishd", "-F",
            "-a", f"{HOST}:{self.port}", "-f", str(self.vcl), "-n", str(self.dir / "work"),
            "-s", "malloc,256m", "-T", "none",
        ]  # fmt: skip
        with open(self.log_path, "ab") as output:
            self.proc = subprocess.Popen(
                benchlib.pinned(SERVER_CORE, command),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"varnishd exited: {self.log_path.read_text()[-2000:]}")
            try:
                if benchlib.get(self.port, "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"varnishd did not answer in {timeout} s: {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_timeout=5).flushdb()


def zipf_cum_weights(count: int) -> list[float]:
    return list(itertools.accumulate(1 / k**ZIPF_S for k in range(1, count + 1)))


def reader_paths(stories: list[str], tags: list[str], rng: random.Random) -> list[str]:
    """PATHS_IN_LIST reader requests: the MIX of kinds, Zipf within stories, tags, words."""
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=PATHS_IN_LIST)
    story_draws = iter(
        rng.choices(stories, cum_weights=zipf_cum_weights(len(stories)), k=PATHS_IN_LIST)
    )
    tag_draws = iter(rng.choices(tags, cum_weights=zipf_cum_weights(len(tags)), k=PATHS_IN_LIST))
    word_cum = zipf_cum_weights(len(SEARCH_WORDS))
    paths = []
    for kind in kinds:
        if kind == "story":
            paths.append(next(story_draws))
        elif kind == "home":
            paths.append("/")
        elif kind == "tag":
            paths.append(f"/tags/{next(tag_draws)}/")
        else:
            paths.append(f"/search/?q={rng.choices(SEARCH_WORDS, cum_weights=word_cum)[0]}")
    return paths


def prepare(args, tmp: Path, base: str) -> dict:
    """The template database with its stories, static files, the readers' paths."""
    db_url = benchlib.create_database(base)
    env = benchlib.base_env(db_url, tmp / "static", PAGE_CACHE_SECONDS="0")
    log(f"database {base}: migrate, collectstatic")
    benchlib.manage(env, "migrate", "--no-input")
    benchlib.manage(env, "collectstatic", "--no-input")
    started = time.perf_counter()
    generated = subprocess.run(
        [sys.executable, "benchmarks/generate_stories.py", "--count", str(args.stories)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if generated.returncode != 0:
        raise RuntimeError(f"generate_stories.py failed:\n{generated.stderr[-3000:]}")
    log(f"{generated.stdout.strip()} (with start-up: {time.perf_counter() - started:.1f} s)")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum does after so many inserts
    out = benchlib.manage(
        env,
        "shell",
        "-c",
        "from articles.models import Story\n"
        "from articles.models import TaggedStory\n"
        "for s in Story.objects.published().order_by('pk').only('slug', 'published_at'):\n"
        "    print('S', s.pk, s.get_absolute_url())\n"
        "for slug in TaggedStory.objects.order_by().values_list('tag__slug', flat=True)"
        ".distinct():\n"
        "    print('T', slug)\n",
    ).stdout
    stories = [line.split()[1:] for line in out.splitlines() if line.startswith("S ")]
    tags = [line.split()[1] for line in out.splitlines() if line.startswith("T ")]
    if len(stories) < args.stories or not tags:
        raise RuntimeError(f"expected {args.stories} stories, found {len(stories)}")
    rng = random.Random(args.seed)
    rng.shuffle(stories)  # popularity does not follow age or id
    rng.shuffle(tags)
    paths = reader_paths([path for _, path in stories], tags, rng)
    (tmp / "mix.txt").write_text("\n".join(paths) + "\n")
    (tmp / "static.txt").write_text(STATIC_PATH + "\n")
    writer_config = {
        "seed": args.seed,
        "zipf_s": ZIPF_S,
        "ranked_stories": [int(pk) for pk, _ in stories],
        "ranked_tags": tags,
        "lifetime": args.warmup + args.duration + 120,  # bounded whatever happens here
    }
    (tmp / "writer.json").write_text(json.dumps(writer_config))

    # The most popular story's page, as the server sends it, becomes the static file
    # (whitenoise indexes STATIC_ROOT at start: the servers start after it is there).
    server = Server(env, tmp / "static-copy.log", threads=2).start()
    try:
        status, _, page = benchlib.get(server.port, stories[0][1])
    finally:
        server.stop()
    if status != 200:
        raise RuntimeError(f"{stories[0][1]} answered {status}")
    (tmp / "static" / "bench").mkdir(exist_ok=True)
    (tmp / "static" / "bench" / "story.html").write_bytes(page)
    log(f"static copy of {stories[0][1]}: {len(page):,} bytes")
    counts = {kind: 0 for kind in MIX}
    for path in paths:
        kind = (
            "home" if path == "/" else "tag" if path.startswith("/tags/") else
            "search" if path.startswith("/search/") else "story"
        )  # fmt: skip
        counts[kind] += 1
    distinct = len(set(paths))
    log(f"reader paths: {len(paths):,} ({distinct:,} distinct), {counts}")
    return {"top_story": stories[0][1], "page_bytes": len(page), "distinct": distinct}


def run_setup(key: str, args, tmp: Path, base: str, tools: dict) -> dict:
    label, extra, with_varnish = SETUPS[key]
    result: dict = {"setup": key, "label": label}
    if with_varnish and tools["vcl"] is None:
        result["skipped"] = tools["vcl_why"]
        log(f"{key}: skipped ({tools['vcl_why']})")
        return result
    name = benchlib.scratch_name(f"newsroom_{key}")
    server = varnish = writer = checker = None
    try:
        db_url = benchlib.copy_database(name, base)
        flush_redis(args.redis_url)
        env = benchlib.base_env(db_url, tmp / "static", REDIS_URL=args.redis_url, **extra)
        front_port = None
        if with_varnish:
            front_port = benchlib.free_port()
            env["VARNISH_PURGE_URLS"] = f"http://{HOST}:{front_port}/"
        server = Server(env, tmp / f"{key}.log", threads=args.threads).start()
        if with_varnish:
            varnish = Varnish(tools["vcl"], front_port, server.port, tmp).start()
        else:
            front_port = server.port
        status, headers, _ = benchlib.get(front_port, "/")
        status, headers, _ = benchlib.get(front_port, "/")
        log(
            f"{key}: front on port {front_port}, home page {status}, Cache-Control "
            f"{headers.get('Cache-Control', '-')!r}, Age {headers.get('Age', '-')}, "
            f"X-Cache {headers.get('X-Cache', '-')}, Surrogate-Key "
            f"{'present' if 'Surrogate-Key' in headers else 'absent'}"
        )
        if status != 200:
            raise RuntimeError(f"{key}: the home page answered {status} through the front")

        checker = Checker(front_port)
        writer = Writer(env, tmp / "writer.json", tmp / f"{key}-writer.log", checker).start()
        offset = random.Random(f"{args.seed}-{key}").randrange(PATHS_IN_LIST)
        wrk_options = {"connections": args.concurrency}
        if args.warmup:
            log(f"{key}: warm-up {args.warmup} s (writer running)")
            run_wrk(tools["wrk"], tools["script"], front_port, tmp / "mix.txt",
                    seconds=args.warmup, offset=offset, **wrk_options)  # fmt: skip
        log(f"{key}: measuring {args.duration} s")
        window = (time.monotonic(), None)
        mix = run_wrk(tools["wrk"], tools["script"], front_port, tmp / "mix.txt",
                      seconds=args.duration, offset=offset + 7919, **wrk_options)  # fmt: skip
        window = (window[0], time.monotonic())
        writer.stop()
        checker.finish(timeout=VISIBLE_TIMEOUT + 5)
        log(f"{key}: {mix.rps:,.0f} req/s; static file, {args.duration} s")
        run_wrk(tools["wrk"], tools["script"], server.port, tmp / "static.txt",
                seconds=STATIC_WARMUP, offset=0, **wrk_options)  # fmt: skip
        static = run_wrk(tools["wrk"], tools["script"], server.port, tmp / "static.txt",
                         seconds=args.duration, offset=0, **wrk_options)  # fmt: skip
        log(f"{key}: static {static.rps:,.0f} req/s")

        measured = [p for p in checker.probes if window[0] <= p.committed <= window[1]]
        commits = [c for c in writer.commits if window[0] <= c["committed"] <= window[1]]
        done = [d for d in writer.done if window[0] <= d["started"] <= window[1]]
        result.update(
            mix=mix,
            static=static,
            probes=measured,
            commits=len(commits),
            write_seconds=statistics.median(d["took"] for d in done) if done else None,
            writer_errors=writer.errors,
            skipped_ticks=writer.skipped,
            server_errors=server.errors_logged(),
        )
        return result
    finally:
        if writer is not None:
            writer.stop()
        if checker is not None:
            checker.close()
        if varnish is not None:
            varnish.stop()
        if server is not None:
            server.stop()
        benchlib.drop_database(name)
        log(f"{key}: stopped, database {name} dropped")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(args, prepared: dict, results: list[dict]) -> None:
    print()
    print(f"Newsroom workload, {time.strftime('%Y-%m-%d %H:%M')}, commit {benchlib.git_commit()}")
    print(
        f"{args.stories:,} stories; readers: wrk -t1 -c{args.concurrency} on core 1, "
        f"{', '.join(f'{k} {v:.0%}' for k, v in MIX.items())} (Zipf s={ZIPF_S}); "
        f"gunicorn 1 gthread worker x {args.threads} threads on core 0; a change every "
        f"{WRITE_EVERY:g} s; warm-up {args.warmup} s, measured {args.duration} s; static "
        f"file = {prepared['top_story']} ({prepared['page_bytes']:,} bytes)"
    )
    header = [
        "setup", "req/s", "static req/s", "ratio", "hit rate", "p50 ms", "p95 ms", "p99 ms",
        "visible max ms", "visible p95 ms", "checks (not visible)", "errors",
    ]  # fmt: skip
    rows = []
    notes = []
    for result in results:
        if "skipped" in result:
            rows.append([result["setup"], *["-"] * (len(header) - 2), "skipped"])
            notes.append(f"{result['setup']}: skipped: {result['skipped']}")
            continue
        mix, static, probes = result["mix"], result["static"], result["probes"]
        delays = [p.delay * 1000 for p in probes if p.delay is not None]
        missing = sum(p.delay is None for p in probes)
        hit_rate = f"{mix.hits / mix.requests:.1%}" if mix.requests and mix.marked else "n/a"
        if not mix.marked:
            notes.append(
                f"{result['setup']}: no response carried Age or X-Cache, so hits cannot be "
                "told from misses (Django's hits carry Age from the surrogate-key rewrite on)"
            )
        errors = mix.socket_errors + mix.non_2xx_3xx + static.socket_errors
        errors += static.non_2xx_3xx + len(result["server_errors"]) + len(result["writer_errors"])
        rows.append([
            result["setup"], f"{mix.rps:,.0f}", f"{static.rps:,.0f}",
            f"{mix.rps / static.rps:.2f}" if static.rps else "-", hit_rate,
            f"{mix.p50:.1f}", f"{mix.p95:.1f}", f"{mix.p99:.1f}",
            f"{max(delays):,.0f}" if delays else "-",
            f"{percentile(delays, 0.95):,.0f}" if delays else "-",
            f"{len(probes)} ({missing})", str(errors),
        ])  # fmt: skip
        if missing:
            notes.append(
                f"{result['setup']}: {missing} of {len(probes)} changes not visible within "
                f"{VISIBLE_TIMEOUT:g} s (counted out of max/p95)"
            )
        by_kind: dict[str, list[Probe]] = {}
        for probe in probes:
            by_kind.setdefault(probe.kind, []).append(probe)
        for kind, group in by_kind.items():
            seen = [p.delay * 1000 for p in group if p.delay is not None]
            notes.append(
                f"{result['setup']}: {kind}: n={len(group)}, not visible {len(group) - len(seen)}"
                + (
                    f", max {max(seen):,.0f} ms, p50 {percentile(seen, 0.5):,.0f} ms"
                    if seen
                    else ""
                )
                + f"; polls until visible, median {percentile([p.polls for p in group], 0.5)}"
            )
        write = result["write_seconds"]
        notes.append(
            f"{result['setup']}: {result['commits']} changes committed in the measured window, "
            f"median {write * 1000:,.0f} ms each" if write is not None else
            f"{result['setup']}: no change committed in the measured window"
        )  # fmt: skip
        if mix.socket_errors or mix.non_2xx_3xx or static.socket_errors or static.non_2xx_3xx:
            notes.append(
                f"{result['setup']}: wrk errors: readers {mix.socket_errors} socket, "
                f"{mix.non_2xx_3xx} non-2xx/3xx; static {static.socket_errors} socket, "
                f"{static.non_2xx_3xx} non-2xx/3xx"
            )
        for line in result["server_errors"][:5] + result["writer_errors"][:5]:
            notes.append(f"{result['setup']}: {line}")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    for note in notes:
        print(f"- {note}")
    if args.json:
        args.json.write_text(json.dumps(
            {
                "date": time.strftime("%Y-%m-%d"),
                "commit": benchlib.git_commit(),
                "options": {k: str(v) for k, v in vars(args).items()},
                "results": [
                    {
                        key: (value.__dict__ if hasattr(value, "__dict__") else
                              [p.__dict__ for p in value] if key == "probes" else value)
                        for key, value in result.items()
                    }
                    for result in results
                ],
            },
            indent=2, default=str,
        ))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", default="flush,keys,varnish", help="flush, keys, varnish")
    parser.add_argument("--warmup", type=int, default=30, help="seconds, unrecorded")
    parser.add_argument("--duration", type=int, default=60, help="seconds measured (each)")
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="GUNICORN_THREADS (production: 2)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8", help="FLUSHED")
    parser.add_argument("--vcl", type=Path, default=VCL, help="Varnish's VCL (backend :8000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    setups = [name.strip() for name in args.setups.split(",") if name.strip()]
    if not setups or set(setups) - set(SETUPS):
        parser.error(f"--setups: a comma-separated list of {', '.join(SETUPS)}")
    if not (0 <= args.warmup <= 600 and 1 <= args.duration <= 600):
        parser.error("warm-up 0-600 s, duration 1-600 s")
    if not (100 <= args.stories <= 200_000 and 1 <= args.concurrency <= 256):
        parser.error("stories 100-200,000, concurrency 1-256")
    if not 1 <= args.threads <= 8:
        parser.error("threads 1-8")
    if "127.0.0.1" not in args.redis_url:
        parser.error("--redis-url must be on 127.0.0.1")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    benchlib.on_sigterm_raise()

    tmp = Path(tempfile.mkdtemp(prefix="bench-newsroom-"))
    tmp.chmod(0o755)  # varnishd's child reads its folder inside
    script = tmp / "readers.lua"
    script.write_text(WRK_SCRIPT)
    tools = {"wrk": wrk, "script": script, "vcl": None, "vcl_why": ""}
    if "varnish" in setups:
        if not shutil.which("varnishd") and not Path("/usr/sbin/varnishd").exists():
            tools["vcl_why"] = "varnishd not installed"
        elif not args.vcl.exists():
            tools["vcl_why"] = f"{args.vcl} does not exist yet"
        else:
            tools["vcl"] = args.vcl.read_text()
    per_setup = args.warmup + 2 * args.duration + STATIC_WARMUP + 15
    log(
        f"set-ups {', '.join(setups)}: about {len(setups) * per_setup / 60:.0f} min, "
        "plus about a minute to prepare"
    )
    base = benchlib.scratch_name("newsroom")
    results = []
    try:
        prepared = prepare(args, tmp, base)
        os.sched_setaffinity(0, {CLIENT_CORE})  # this process is the checker
        for key in setups:
            results.append(run_setup(key, args, tmp, base, tools))
        report(args, prepared, results)
    finally:
        benchlib.drop_database(base)
        try:
            flush_redis(args.redis_url)
        except Exception as error:  # reported; the rest of the clean-up goes on
            log(f"could not flush {args.redis_url}: {error}")
        shutil.rmtree(tmp, ignore_errors=True)
        log(f"cleaned up: database {base} dropped, {args.redis_url} flushed")


if __name__ == "__main__":
    try:
        if sys.argv[1:2] == ["--writer"]:
            writer_main(sys.argv[2])
        else:
            main()
    except KeyboardInterrupt:
        sys.exit(130)
