"""Settings come from the environment and refuse to run insecurely."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def check(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=60,
    )


@pytest.mark.slow
def test_debug_off_without_a_secret_key_refuses_to_start():
    """No fallback secret key in production."""
    result = check(DEBUG="false", ALLOWED_HOSTS="news.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.slow
def test_debug_off_without_allowed_hosts_refuses_to_start():
    """No open host list in production."""
    result = check(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr


@pytest.mark.slow
def test_debug_off_with_both_starts():
    """With a secret key and hosts, production settings load."""
    result = check(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="news.example.org")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_mistyped_debug_value_is_an_error():
    """DEBUG=flase is not silently true."""
    result = check(DEBUG="flase")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


@pytest.mark.slow
def test_database_url_selects_the_database(monkeypatch):
    """DATABASE_URL picks the engine; without it the demo uses a SQLite file."""
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"

    def engine(**extra):
        return subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**env, **extra},
            timeout=60,
        ).stdout.strip()

    assert engine() == "django.db.backends.sqlite3"
    assert engine(DATABASE_URL="postgres://u@db:5432/news") == "django.db.backends.postgresql"


def test_connections_persist_and_are_checked_as_django_documents(settings):
    """Persistent connections (CONN_MAX_AGE), checked before a request reuses them
    (CONN_HEALTH_CHECKS), and no driver options of our own (no prepared statements)."""
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] == 600
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database.get("OPTIONS", {}) == {}


@pytest.mark.slow
def test_production_settings_pass_the_deploy_check():
    """`manage.py check --deploy` finds nothing to warn about under production settings."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            # The test session's own allowance for Playwright is no part of production.
            **{
                k: v
                for k, v in os.environ.items()
                if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
            },
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "news.example.org",
        },
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_security_headers_on_every_kind_of_page(client, demo_story):
    """Content sniffing off, a referrer policy, and no framing: on pages, feeds and the API."""
    for url in (
        "/",
        demo_story.get_absolute_url(),
        "/tags/armenia/",
        "/search/?q=truce",
        "/feeds/rss/",
        "/sitemap.xml",
        "/api/ninjs/stories/",
        "/admin/login/",
        "/no/such/page/",
    ):
        response = client.get(url)
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert "unsafe-inline" not in policy, url


@pytest.mark.django_db
def test_admin_login_attempts_are_limited(client):
    """Five wrong passwords lock that username from that address out, even with the right
    password afterwards; another editor can still log in."""
    from tests.factories import make_user

    make_user("eddie", "Editor")
    make_user("rita", "Reporter")
    answers = [
        client.post("/admin/login/", {"username": "eddie", "password": "guess"}).status_code
        for _ in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]
    right = client.post(
        "/admin/login/", {"username": "eddie", "password": "correct horse battery"}
    )
    assert right.status_code == 429
    other = client.post("/admin/login/", {"username": "rita", "password": "correct horse battery"})
    assert other.status_code == 302
