"""What the benchmark scripts share: scratch PostgreSQL databases, manage.py, and gunicorn.

Not a benchmark itself. Everything here talks to 127.0.0.1 only, and everything it starts
(databases, servers) is undone by the caller's ``finally`` blocks (see ``Cleanup``).
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
SERVER_CORE = 0
CLIENT_CORE = 1
HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def database_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def create_database(name: str) -> str:
    """A fresh, empty database (dropped first if a failed run left one); returns its URL."""
    drop_database(name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_database(name: str, template: str) -> str:
    """A fresh copy of ``template`` (which nothing may be connected to); returns its URL.

    Much faster than filling a database again: PostgreSQL copies the files.
    """
    drop_database(name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url(name)


def scratch_name(purpose: str) -> str:
    return f"bench_{purpose}_{os.getpid()}"


def base_env(db_url: str, static_root: Path, **extra: str) -> dict[str, str]:
    """The production environment of the README's deploy section, for 127.0.0.1 over HTTP."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "PAGE_CACHE_SECONDS", "SECURE_PROXY_SSL_HEADER"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=db_url,
        STATIC_ROOT=str(static_root),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    """``manage.py ARGS`` with this environment; raises with its output when it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args[:3])} failed ({result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    if not quiet:
        print(result.stdout, end="")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pinned(core: int, command: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    if taskset is None:
        raise SystemExit("taskset not found (Debian: apt-get install -y util-linux)")
    return [taskset, "-c", str(core), *command]


class Server:
    """gunicorn with newsroom/gunicorn.py, pinned to one core, on a free port of 127.0.0.1.

    ``worker_class`` overrides the config's gthread worker on the command line (``sync``,
    whose workers take one request at a time: gunicorn turns a sync worker with more than
    one thread into gthread, so give it ``threads=1``).
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        workers: int = 1,
        threads: int = 1,
        worker_class: str | None = None,
    ) -> None:
        self.port = free_port()
        self.worker_class = worker_class
        self.env = dict(env)
        self.env.update(
            BIND=f"{HOST}:{self.port}",
            WEB_CONCURRENCY=str(workers),
            GUNICORN_THREADS=str(threads),
        )
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        command = [sys.executable, "-m", "gunicorn", "-c", "newsroom/gunicorn.py"]
        if self.worker_class:
            command += ["--worker-class", self.worker_class]
        # The access log goes to stdout: dropped here (it is written all the same, as in
        # production); errors go to stderr, kept in log_path and checked afterwards.
        with open(self.log_path, "ab") as errors:
            self.proc = subprocess.Popen(
                pinned(SERVER_CORE, [*command, "newsroom.wsgi"]),
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,  # its own process group, so stop() ends the workers
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {self.log_path}")
            try:
                status, _, _ = get(self.port, "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=35)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def errors_logged(self) -> list[str]:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [
            line
            for line in text.splitlines()
            if "[ERROR]" in line or "Traceback" in line or "[CRITICAL]" in line
        ]


def get(port: int, path: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def on_sigterm_raise() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so ``finally`` blocks clean up either way."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def git_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"
