"""Throughput: the story page against the same bytes served as a static file, in one run.

    uv run python benchmarks/throughput.py                  # 5 rounds x 10 s per variant
    uv run python benchmarks/throughput.py --soak 60        # then 60 s at full load
    uv run python benchmarks/throughput.py --workers 2 --worker-class sync --threads 1

Needs Debian's wrk (``apt-get install -y wrk``), PostgreSQL on 127.0.0.1:5432 and, for the
cached variant, Redis on 127.0.0.1:6379. CI does not run it.

What it does:

- creates a scratch PostgreSQL database, migrates it, loads the demo (``loaddata
  fixtures/demo.json`` and ``rebuild_search``) and runs ``collectstatic`` into a temporary
  STATIC_ROOT;
- saves the story page's exact HTML bytes into that STATIC_ROOT, so the same gunicorn
  serves them through whitenoise at ``/static/bench/story.html``;
- starts gunicorn with ``newsroom/gunicorn.py`` (DEBUG off, one worker with the production
  default of two threads; ``--threads 1`` for one; ``--workers 2 --worker-class sync
  --threads 1`` for two sync workers) pinned to core 0: one server with page
  caching off (``PAGE_CACHE_SECONDS=0``) and, when the app caches pages, one with
  ``REDIS_URL``. Both serve the static file: each story variant is
  compared with the static file served by its own server;
- runs wrk pinned to core 1 against each variant in turn, for several rounds (the order is
  reversed every other round), and prints requests per second per round and the ratio to
  static within each round, with the median of the rounds. Absolute figures drift by tens
  of percent between runs on a shared two-core machine; the ratios are what to compare.
- the cached story page is also loaded with a new tracking query string on every request
  (``?utm_source=bench<n>&fbclid=<random>``, a wrk Lua script): such noise must be answered
  from the clean page's cache entry, at the cached rate;
- with ``--soak SECONDS``, loads the faster story variant at full rate (wrk is closed-loop:
  that is at least the highest rate measured) and reports every error, which should be none.

The database, the servers and the temporary files are removed at the end, on failure too.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import benchlib
from benchlib import CLIENT_CORE, ROOT, Server, log

STATIC_PATH = "/static/bench/story.html"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    connect_errors: int = 0
    read_errors: int = 0
    write_errors: int = 0
    timeouts: int = 0
    non_2xx_3xx: int = 0
    mb_read: float = 0.0

    @property
    def errors(self) -> int:
        return (
            self.connect_errors
            + self.read_errors
            + self.write_errors
            + self.timeouts
            + self.non_2xx_3xx
        )


NOISE_SCRIPT = """
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, wrk.path .. "?utm_source=bench" .. n .. "&fbclid=" .. math.random(1e9))
end
"""
NOISY = "cached, tracking noise"


def wrk(url: str, *, seconds: int, connections: int, script: Path | None = None) -> WrkResult:
    options = ["-s", str(script)] if script else []
    command = benchlib.pinned(
        CLIENT_CORE,
        [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", *options, url],
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    out = result.stdout
    if result.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed: {out}\n{result.stderr}")
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s|m), ([\d.]+)([KMG]?B) read", out)
    unit = {"ms": 0.001, "s": 1, "m": 60}[done[3]]
    size = float(done[4]) * {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}[done[5]]
    parsed = WrkResult(
        requests=int(done[1]),
        seconds=float(done[2]) * unit,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        mb_read=size,
    )
    socket = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        parsed.connect_errors, parsed.read_errors, parsed.write_errors, parsed.timeouts = map(
            int, socket.groups()
        )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        parsed.non_2xx_3xx = int(non_2xx[1])
    return parsed


def find_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(
            "wrk is not installed. On Debian: apt-get install -y wrk "
            "(CI does not run the benchmarks)."
        )
    return path


WRK = ""


def prepare_site(env: dict[str, str]) -> str:
    """Migrate, load the demo, collect static files; return the story's path."""
    for args in (
        ["migrate", "--no-input"],
        ["loaddata", "fixtures/demo.json"],
        ["rebuild_search"],
        ["collectstatic", "--no-input"],
    ):
        log(f"manage.py {' '.join(args)}")
        benchlib.manage(env, *args)
    out = benchlib.manage(
        env,
        "shell",
        "-c",
        "from articles.models import Story;"
        "print('PATH', Story.objects.published().get().get_absolute_url())",
    ).stdout
    return re.search(r"^PATH (\S+)$", out, re.M)[1]


def cache_state(server: Server, story: str, redis_url: str) -> tuple[bool, str]:
    """Whether the server caches the story page, judged by what it does, and why."""
    settings = (ROOT / "newsroom" / "settings.py").read_text()
    if "REDIS_URL" not in settings or "CACHES" not in settings:
        return False, "newsroom/settings.py has no CACHES from REDIS_URL"
    benchlib.get(server.port, story)
    status, headers, _ = benchlib.get(server.port, story)
    control = headers.get("Cache-Control", "")
    try:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        keys = list(itertools.islice(client.scan_iter(match="*response:*"), 10_000))
    except Exception as exc:  # the verdict says why
        return False, f"Redis at {redis_url} not usable: {exc}"
    if status != 200:
        return False, f"story page answered {status}"
    if "s-maxage" not in control and not keys:
        return False, "the story page carries no shared-cache header and nothing is in Redis"
    return True, f"Cache-Control: {control}; {len(keys)} page key(s) in Redis"


def main() -> None:
    global WRK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10, help="seconds per variant per round")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--threads", type=int, default=2, help="GUNICORN_THREADS (2 is production's)"
    )
    parser.add_argument("--workers", type=int, default=1, help="WEB_CONCURRENCY")
    parser.add_argument(
        "--worker-class", default=None, help="gunicorn's worker class (production's: gthread)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="seconds per variant, unrecorded")
    parser.add_argument("--soak", type=int, default=0, metavar="SECONDS", help="soak test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not (1 <= args.rounds <= 20 and 1 <= args.duration <= 120 and 0 <= args.soak <= 600):
        parser.error("rounds 1-20, duration 1-120 s, soak 0-600 s")
    if not (1 <= args.workers <= 8 and 1 <= args.threads <= 8):
        parser.error("workers and threads 1-8")
    if args.worker_class == "sync" and args.threads != 1:
        parser.error("sync workers take one request at a time: use --threads 1")
    shape = {"workers": args.workers, "threads": args.threads, "worker_class": args.worker_class}
    WRK = find_wrk()
    benchlib.on_sigterm_raise()

    name = benchlib.scratch_name("throughput")
    tmp = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    static_root = tmp / "static"
    servers: list[Server] = []
    try:
        db_url = benchlib.create_database(name)
        log(f"database {name}")
        plain_env = benchlib.base_env(db_url, static_root, PAGE_CACHE_SECONDS="0")
        story = prepare_site(plain_env)

        # The story page's bytes, from the server itself, become a static file. whitenoise
        # indexes STATIC_ROOT when it starts, so the servers start after the file is there.
        first = Server(plain_env, tmp / "uncached.log", **shape).start()
        status, headers, page = benchlib.get(first.port, story)
        first.stop()
        if status != 200:
            raise RuntimeError(f"{story} answered {status}")
        (static_root / "bench").mkdir(exist_ok=True)
        (static_root / "bench" / "story.html").write_bytes(page)
        log(f"story page {story}: {len(page):,} bytes, saved as {STATIC_PATH}")

        uncached = Server(plain_env, tmp / "uncached.log", **shape).start()
        servers.append(uncached)
        _, headers, _ = benchlib.get(uncached.port, story)
        if "s-maxage" in headers.get("Cache-Control", ""):
            log("warning: with PAGE_CACHE_SECONDS=0 the story page still says s-maxage")
        status, _, static_bytes = benchlib.get(uncached.port, STATIC_PATH)
        if status != 200 or static_bytes != page:
            raise RuntimeError(f"{STATIC_PATH}: {status}, {len(static_bytes)} bytes")

        cached_env = benchlib.base_env(db_url, static_root, REDIS_URL=args.redis_url)
        cached = Server(cached_env, tmp / "cached.log", **shape).start()
        servers.append(cached)
        cache_ok, cache_why = cache_state(cached, story, args.redis_url)
        log(f"cached variant: {'available' if cache_ok else 'NOT available'} ({cache_why})")
        if cache_ok:
            # The pages differ only in the port in their canonical URLs.
            _, _, cached_page = benchlib.get(cached.port, story)
            ours = cached_page.replace(f":{cached.port}/".encode(), b"")
            if ours != page.replace(f":{first.port}/".encode(), b""):
                log(f"note: the cached page differs: {len(cached_page):,} bytes")
        else:
            cached.stop()
            servers.remove(cached)

        variants = {
            "static (uncached server)": uncached.base + STATIC_PATH,
            "uncached": uncached.base + story,
        }
        if cache_ok:
            variants["static (cached server)"] = cached.base + STATIC_PATH
            variants["cached"] = cached.base + story
            variants[NOISY] = cached.base + story
        noise = tmp / "noise.lua"
        noise.write_text(NOISE_SCRIPT)
        scripts = {NOISY: noise}
        for label, url in variants.items():
            log(f"warm-up {label}")
            wrk(url, seconds=args.warmup, connections=args.connections, script=scripts.get(label))

        rounds: list[dict[str, WrkResult]] = []
        for number in range(args.rounds):
            order = list(variants) if number % 2 == 0 else list(reversed(variants))
            results = {}
            for label in order:
                results[label] = wrk(
                    variants[label],
                    seconds=args.duration,
                    connections=args.connections,
                    script=scripts.get(label),
                )
                log(f"round {number + 1} {label}: {results[label].rps:,.0f} req/s")
            rounds.append(results)

        soak = None
        if args.soak:
            best = max(
                (label for label in variants if label in ("uncached", "cached")),
                key=lambda label: statistics.median(r[label].rps for r in rounds),
            )
            highest = max(r[best].rps for r in rounds)
            log(f"soak: {args.soak} s on {best} (highest measured {highest:,.0f} req/s)")
            soak = (
                best,
                highest,
                wrk(variants[best], seconds=args.soak, connections=args.connections),
            )

        server_errors = [line for server in servers for line in server.errors_logged()]
        report(args, story, len(page), rounds, cache_ok, cache_why, soak, server_errors)
    finally:
        for server in servers:
            server.stop()
        benchlib.drop_database(name)
        shutil.rmtree(tmp, ignore_errors=True)
        log(f"cleaned up: servers stopped, database {name} dropped")


def report(args, story, size, rounds, cache_ok, cache_why, soak, server_errors) -> None:
    labels = list(rounds[0])
    static_for = {
        "uncached": "static (uncached server)",
        "cached": "static (cached server)",
        NOISY: "static (cached server)",
    }
    print()
    print(f"Throughput, {time.strftime('%Y-%m-%d')}, commit {benchlib.git_commit()}")
    print(
        f"story page {story} ({size:,} bytes); gunicorn {args.workers} "
        f"{args.worker_class or 'gthread'} worker(s) x {args.threads} thread(s) "
        f"on core 0, wrk -t1 -c{args.connections} on core 1, {args.rounds} rounds x "
        f"{args.duration} s per variant"
    )
    header = ["round", *labels] + [f"{k}/static" for k in static_for if k in labels]
    rows = []
    ratios: dict[str, list[float]] = {k: [] for k in static_for if k in labels}
    for number, results in enumerate(rounds, start=1):
        row = [str(number)] + [f"{results[label].rps:,.0f}" for label in labels]
        for kind in ratios:
            ratio = results[kind].rps / results[static_for[kind]].rps
            ratios[kind].append(ratio)
            row.append(f"{ratio:.2f}")
        rows.append(row)
    medians = ["median"] + [
        f"{statistics.median(r[label].rps for r in rounds):,.0f}" for label in labels
    ]
    medians += [f"{statistics.median(values):.2f}" for values in ratios.values()]
    rows.append(medians)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    if not cache_ok:
        print(f"cached: not available yet ({cache_why})")
    errors = sum(r[label].errors for r in rounds for label in labels)
    print(f"errors in the rounds (socket errors + non-2xx/3xx, from wrk): {errors}")

    targets = []
    if "uncached" in ratios:
        value = statistics.median(ratios["uncached"])
        targets.append(("uncached >= 0.15x static", f"{value:.2f}x", value >= 0.15))
    if "cached" in ratios:
        value = statistics.median(ratios["cached"])
        targets.append(("cached >= 0.9x static", f"{value:.2f}x", value >= 0.9))
    else:
        targets.append(("cached >= 0.9x static", "not available yet", False))
    soak_data = None
    if soak:
        label, highest, result = soak
        print(
            f"soak: {result.seconds:.0f} s on {label}: {result.requests:,} requests, "
            f"{result.rps:,.0f} req/s (highest in the rounds {highest:,.0f}); socket errors "
            f"connect {result.connect_errors}, read {result.read_errors}, write "
            f"{result.write_errors}, timeout {result.timeouts}; non-2xx/3xx "
            f"{result.non_2xx_3xx}"
        )
        targets.append(("soak: zero errors", f"{result.errors} errors", result.errors == 0))
        soak_data = {"variant": label, "highest_rps": highest, **asdict(result)}
    print(f"errors or tracebacks in the gunicorn logs: {len(server_errors)}")
    for line in server_errors[:10]:
        print(f"  {line}")
    for target, value, met in targets:
        print(f"target {target}: {value}: {'MET' if met else 'MISSED'}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d"),
                    "commit": benchlib.git_commit(),
                    "rounds": [{k: asdict(v) for k, v in r.items()} for r in rounds],
                    "median_ratios": {k: statistics.median(v) for k, v in ratios.items()},
                    "cached": cache_ok,
                    "cached_why": cache_why,
                    "soak": soak_data,
                    "server_errors": server_errors,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
