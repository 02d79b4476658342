"""Production serving: gunicorn with our config, DEBUG off, whitenoise for static files."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    for command in (["migrate", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=120
        )
    return env


def start_gunicorn(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "newsroom/gunicorn.py", "newsroom.wsgi"],
        cwd=ROOT,
        env=env | {"BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server, base
        time.sleep(0.1)
    server.terminate()
    pytest.fail("gunicorn did not listen within 10 seconds")


def fetch(url: str):
    """Status, headers and body, for error answers too."""
    try:
        response = urllib.request.urlopen(url, timeout=5)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, response.headers, response.read().decode()


def test_gunicorn_serves_pages_and_hashed_static_files(production_env):
    """The documented command starts; health, pages and static files answer."""
    server, base = start_gunicorn(production_env)
    try:
        status, _, body = fetch(f"{base}/healthz")
        assert (status, body) == (200, "ok\n")
        _, _, home = fetch(f"{base}/")
        assert "Latest stories" in home
        css = home.split('href="/static/css/site.', 1)[1].split('"', 1)[0]
        static = urllib.request.urlopen(f"{base}/static/css/site.{css}", timeout=5)
        assert static.status == 200
        assert "immutable" in static.headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_with_the_database_unreachable_pages_answer_503(production_env):
    """PostgreSQL on a closed port: a friendly 503 with Retry-After, never a traceback."""
    env = production_env | {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/newsroom"}
    server, base = start_gunicorn(env)
    try:
        for path in ("/", "/tags/armenia/", "/search/?q=truce", "/api/ninjs/stories/"):
            status, headers, body = fetch(base + path)
            assert status == 503, path
            assert headers["Retry-After"] == "30", path
            assert "Traceback" not in body, path
            if path.startswith("/api/"):  # the API answers JSON, errors included
                assert json.loads(body) == {
                    "error": "temporarily unavailable: try again in 30 seconds"
                }
            else:
                assert "We'll be back in a moment" in body, path
        status, headers, body = fetch(f"{base}/healthz")
        assert (status, body) == (503, "database unavailable\n")
    finally:
        server.terminate()
        server.wait(timeout=10)
