"""The page cache as real processes share it: a change made in one process is on the pages
that other processes serve at once.

- The demo as the README runs it (``manage.py demo``: runserver, DEBUG on, the file cache
  every process of the machine shares, here in a folder of the test's own): a story
  imported by ``manage.py import_wire --publish`` in another process is on the home page
  within a second, though the home page was cached.
- Production (gunicorn with ``newsroom/gunicorn.py``, two worker processes, DEBUG off,
  Redis): a story saved in ``manage.py shell`` is on its page and on the home page within a
  second, from every worker, though both were cached in both workers.
- The documented bypass: ``QuerySet.update()`` in a shell purges nothing (the cached
  pages stay as they were), and ``manage.py purge_pages`` makes them current.

The servers run on a SQLite file of the test's own, or, when the tests run on PostgreSQL
(``DATABASE_URL``), on a scratch database made from a template with the demo loaded and
dropped at the end. Redis is the tests' database 15, where only the keys of the
settings' prefix (``newsroom``) are deleted, before and after. Every process started here
is killed at the end, whatever happens.
"""

import itertools
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import suppress
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.site.conftest import REDIS_URL, redis_answers
from tests.site.servers import free_port, unavailable

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "source" / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
SEED_HEADLINE = "Azerbaijan claims victory after Karabakh separatists surrender"
PURGE_PAGES = ROOT / "articles" / "management" / "commands" / "purge_pages.py"
VISIBLE_WITHIN = 1.0  # seconds: "at once"
REQUESTS_EACH = 10
REDIS_PREFIX = "newsroom"  # the settings' KEY_PREFIX with REDIS_URL
STORY_LINK = re.compile(r'href="(/\d{4}/\d{2}/\d{2}/[^"/]+/)"')

# What the settings and gunicorn's config read: nothing of the developer's own leaks in.
APP_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "TRUSTED_PROXIES",
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_DIR",
    "PAGE_CACHE_SECONDS",
    "PAGE_CACHE_PURGE",
    "VARNISH_PURGE_URLS",
    "STATIC_ROOT",
    "BIND",
    "PORT",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_CMD_ARGS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def app_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    return env | values


def manage(env: dict, *args: str, timeout: float = 120) -> str:
    """Run a management command in a process of its own; its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def fetch(url: str) -> tuple[int, Message, str]:
    """Status, headers and body, for error answers too."""
    try:
        response = urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, response.headers, response.read().decode()


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# Processes


class Servers:
    """The servers a test starts, each in a process group of its own, all killed at the
    end of the test whatever happens (and any process they started with them)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, command: list[str], env: dict, name: str) -> tuple[subprocess.Popen, str]:
        port = free_port()
        log = self.folder / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [part.format(port=port) for part in command],
                cwd=ROOT,
                env=env | {"BIND": f"127.0.0.1:{port}"},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}:\n{tail(log)}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return process, f"http://127.0.0.1:{port}"
            time.sleep(0.1)
        pytest.fail(f"{name} did not listen within 60 seconds:\n{tail(log)}")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=5)
            # Workers outlive a master killed hard; the group goes in any case.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def servers(tmp_path):
    started = Servers(tmp_path)
    yield started
    started.stop_all()


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


# Databases


def on_postgresql() -> bool:
    return urlsplit(os.environ.get("DATABASE_URL", "")).scheme in {"postgres", "postgresql"}


def with_database_name(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def postgres_admin():
    """A connection (autocommit) to the server the tests run on, to make and drop the
    scratch databases."""
    import psycopg

    try:
        return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL is not reachable at DATABASE_URL: {error}")


def drop_database(name: str) -> None:
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def set_up_demo(folder: Path, database_url: str) -> None:
    """``manage.py demo --no-serve``: migrate, load the demo story, add the demo editor (its
    purges go to a cache folder of its own)."""
    env = app_env(DEBUG="true", CACHE_DIR=str(folder / "cache"), DATABASE_URL=database_url)
    manage(env, "demo", "--no-serve")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file with the demo set up, made once and copied for each test."""
    folder = tmp_path_factory.mktemp("sqlite-demo")
    set_up_demo(folder, f"sqlite:///{folder / 'db.sqlite3'}")
    return folder / "db.sqlite3"


@pytest.fixture
def sqlite_demo(sqlite_template, tmp_path) -> str:
    """The demo's SQLite database, a file of this test's own."""
    path = tmp_path / "db.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory):
    """A scratch PostgreSQL database with the demo set up, made once (the tests' own
    database server, from DATABASE_URL), dropped at the end."""
    name = f"newsroom_shared_{os.getpid()}"
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        set_up_demo(
            tmp_path_factory.mktemp("postgres-demo"),
            with_database_name(os.environ["DATABASE_URL"], name),
        )
        yield name
    finally:
        drop_database(name)


_copies = itertools.count(1)


@pytest.fixture
def demo_database(request, tmp_path):
    """The demo's database, this test's own: on PostgreSQL when the tests run on it (a copy
    of the template, dropped at the end), else a SQLite file."""
    if not on_postgresql():
        yield request.getfixturevalue("sqlite_demo")
        return
    template = request.getfixturevalue("postgres_template")
    name = f"{template}_{next(_copies)}"
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield with_database_name(os.environ["DATABASE_URL"], name)
    finally:
        drop_database(name)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Production's hashed static files, collected once."""
    folder = tmp_path_factory.mktemp("static")
    env = app_env(
        DEBUG="true",
        STATIC_ROOT=str(folder),
        CACHE_DIR=str(folder / "unused-cache"),
        DATABASE_URL=f"sqlite:///{folder / 'unused.sqlite3'}",
    )
    manage(env, "collectstatic", "--no-input", "-v0")
    return folder


@pytest.fixture
def shared_redis():
    """The tests' Redis database, without the keys the app's prefix names, before and
    after (pages a server on the same port cached earlier would be served otherwise)."""
    if not redis_answers():
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    import redis

    client = redis.Redis.from_url(REDIS_URL)

    def forget() -> None:
        for key in client.scan_iter(match=f"{REDIS_PREFIX}:*", count=1000):
            client.delete(key)

    forget()
    yield client
    forget()
    client.close()


# Pages


def poll_until_shown(url: str, text: str, since: float) -> str:
    """The first page at ``url`` showing ``text``; fails unless a request sent within
    VISIBLE_WITHIN seconds of ``since`` (a time.monotonic()) shows it."""
    while True:
        sent = time.monotonic() - since
        status, _, body = fetch(url)
        if status == 200 and text in body:
            return body
        if sent > VISIBLE_WITHIN:
            pytest.fail(f"{url} did not show {text!r} within {VISIBLE_WITHIN}s (status {status})")
        time.sleep(0.02)


class Gunicorn:
    """gunicorn with the production config and two workers, logging which worker served
    each request."""

    def __init__(self, servers: Servers, env: dict, folder: Path):
        self.access_log = folder / "access.log"
        self.process, self.base = servers.start(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "newsroom/gunicorn.py",
                "--workers",
                "2",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                "%(p)s %(U)s",
                "--no-control-socket",  # not ~/.gunicorn/gunicorn.ctl, which others use
                "newsroom.wsgi",
            ],
            env | {"WEB_CONCURRENCY": "2"},
            "gunicorn",
        )
        self.workers = self._wait_for_workers()

    def _wait_for_workers(self) -> set[int]:
        deadline = time.monotonic() + 30
        while len(found := children(self.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(found) == 2, f"gunicorn runs {len(found)} workers, not 2"
        return found

    def served(self, start: int, count: int) -> list[tuple[int, str]]:
        """(worker pid, path) of the ``count`` requests logged from line ``start`` on."""
        deadline = time.monotonic() + 5
        while True:
            lines = (
                self.access_log.read_text().splitlines()[start:]
                if self.access_log.exists()
                else []
            )
            if len(lines) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(lines) >= count, f"{count} requests sent, {len(lines)} logged"
        return [(int(pid.strip("<>")), path) for pid, path in (line.split() for line in lines)]

    def logged(self) -> int:
        return len(self.access_log.read_text().splitlines()) if self.access_log.exists() else 0

    def every_worker(self, path: str, check, *, at_least: int = REQUESTS_EACH) -> None:
        """Request ``path`` at least ``at_least`` times and until every worker has answered
        it (80 times at most), each answer passing ``check(headers, body)``."""
        for _ in range(8):
            start = self.logged()
            for _ in range(at_least):
                status, headers, body = fetch(self.base + path)
                assert status == 200, path
                check(headers, body)
            seen = {pid for pid, _ in self.served(start, at_least)}
            assert seen <= self.workers, f"answers from {seen}, workers are {self.workers}"
            if seen == self.workers:
                return
        pytest.fail(f"one worker answered every request for {path}: {seen}")

    def warm(self, path: str) -> str:
        """Cache ``path`` and make every worker answer it from the cache (with ``Age``);
        the page."""
        status, headers, body = fetch(self.base + path)
        assert status == 200, path
        assert "Age" not in headers, f"{path} was cached before the test"
        self.every_worker(path, lambda headers, body: _is_hit(path, headers))
        return body


def _is_hit(path: str, headers) -> None:
    assert "Age" in headers, f"{path} was not answered from the cache"


@pytest.fixture
def production(tmp_path, demo_database, static_root, shared_redis, servers):
    """The demo's database served by gunicorn (production config, 2 workers, DEBUG off),
    caching in Redis; the environment for more processes on the same database and cache."""
    env = app_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=demo_database,
        REDIS_URL=REDIS_URL,
        STATIC_ROOT=str(static_root),
        CACHE_DIR=str(tmp_path / "cache"),  # unused with Redis: never the developer's
    )
    server = Gunicorn(servers, env, tmp_path)
    return server, env


def warm_story_and_home(server: Gunicorn) -> str:
    """Cache the home page and the story's page in every worker; the story's path."""
    found = STORY_LINK.findall(server.warm("/"))
    assert found, "the home page links no story"
    server.warm(found[0])
    return found[0]


def shows(text: str, *, not_: str, cached: bool | None = None):
    """A check that a page shows ``text``, and nowhere ``not_``."""

    def check(headers, body):
        assert text in body
        assert not_ not in body, f"{not_!r} is still on the page"
        if cached is not None:
            assert ("Age" in headers) == cached, headers

    return check


# The tests


def new_wire_copy(folder: Path, headline: str) -> Path:
    """The seed copy with another headline and first paragraph: another story."""
    copy = SEED.read_text(encoding="utf-8")
    assert SEED_HEADLINE in copy
    lead = re.search(r"^(BAKU, Sept 21, 2023 \(BSS/AFP\) - ).*$", copy, re.MULTILINE)
    assert lead, "the seed's first paragraph has moved"
    copy = copy.replace(SEED_HEADLINE, headline, 1)
    copy = copy.replace(
        lead.group(0),
        lead.group(1) + "A new first paragraph, written by the shared cache test, that "
        "gives this copy a checksum of its own.",
        1,
    )
    folder.mkdir(exist_ok=True)
    path = folder / f"shared-cache-{secrets.token_hex(4)}.txt"
    path.write_text(copy, encoding="utf-8")
    return path


def test_the_demo_server_shows_a_story_imported_by_another_process_at_once(
    tmp_path, sqlite_demo, servers
):
    """The demo's runserver with the file cache (no REDIS_URL): the home page is cached,
    and ``import_wire --publish`` in another process puts the new story on it at once."""
    cache_dir = tmp_path / "cache"
    env = app_env(DEBUG="true", DATABASE_URL=sqlite_demo, CACHE_DIR=str(cache_dir))
    _, base = servers.start(
        [sys.executable, "manage.py", "runserver", "127.0.0.1:{port}", "--noreload"],
        env,
        "runserver",
    )
    _, first, home = fetch(base + "/")
    assert SEED_HEADLINE in home
    assert "Age" not in first
    _, second, _ = fetch(base + "/")
    assert "Age" in second, "the second view of the home page is not a cache hit"
    assert list(cache_dir.glob("*.djcache")), "the pages are not cached in CACHE_DIR"

    headline = f"Shared cache check {secrets.token_hex(3)} reaches the home page"
    wire = new_wire_copy(tmp_path / "wire", headline)
    output = manage(env, "import_wire", "--publish", str(wire))
    assert "(published)" in output, output

    body = poll_until_shown(base + "/", headline, since=time.monotonic())
    assert SEED_HEADLINE in body  # the demo story is still listed


def test_a_save_in_a_shell_is_on_every_worker_at_once(production):
    """Redis, gunicorn with two workers: the story page and the home page, cached in both,
    show a headline saved in ``manage.py shell`` at once, from every worker."""
    server, env = production
    story = warm_story_and_home(server)

    headline = "Changed in a shell"
    manage(
        env,
        "shell",
        "-c",
        "from articles.models import Story; s = Story.objects.get(); "
        f"s.headline = {headline!r}; s.save()",
    )

    saved = time.monotonic()
    for path in (story, "/"):
        poll_until_shown(server.base + path, headline, since=saved)
    for path in (story, "/"):
        server.every_worker(path, shows(headline, not_=SEED_HEADLINE))


def test_an_update_in_a_shell_purges_nothing_until_purge_pages(production):
    """``QuerySet.update()`` sends no signal: the cached pages keep the old headline, in
    every worker, until ``manage.py purge_pages`` purges them."""
    server, env = production
    story = warm_story_and_home(server)

    headline = "Bypassed in a shell"
    manage(
        env,
        "shell",
        "-c",
        "from articles.models import Story; "
        f"assert Story.objects.filter(pk=Story.objects.get().pk).update(headline={headline!r})",
    )
    time.sleep(VISIBLE_WITHIN)  # as long as a purge may take to be seen
    for path in (story, "/"):
        server.every_worker(path, shows(SEED_HEADLINE, not_=headline, cached=True))

    if not PURGE_PAGES.exists():
        pytest.skip("the bypass holds; manage.py purge_pages does not exist yet")
    manage(env, "purge_pages")
    purged = time.monotonic()
    for path in (story, "/"):
        poll_until_shown(server.base + path, headline, since=purged)
    for path in (story, "/"):
        server.every_worker(path, shows(headline, not_=SEED_HEADLINE))
