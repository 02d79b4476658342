"""Settings come from the environment and refuse to run insecurely."""

import os
import subprocess
import sys
from pathlib import Path

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


def test_debug_off_without_a_secret_key_refuses_to_start():
    """No fallback secret key in production."""
    result = check(DEBUG="false", ALLOWED_HOSTS="news.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    """No open host list in production."""
    result = check(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr


def test_debug_off_with_both_starts():
    """With a secret key and hosts, production settings load."""
    result = check(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="news.example.org")
    assert result.returncode == 0, result.stderr


def test_a_mistyped_debug_value_is_an_error():
    """DEBUG=flase is not silently true."""
    result = check(DEBUG="flase")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


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
