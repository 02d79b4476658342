import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from articles.services.fixtures import DEMO_FIXTURE
from tests.factories import make_user


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Many tests make users and log them in: no slow password hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(db):
    """A member of the Editor group: everything on stories and tags."""
    return make_user("eddie", "Editor")


@pytest.fixture
def reporter(db):
    """A member of the Reporter group: drafts only."""
    return make_user("rita", "Reporter")


def pytest_configure(config):
    """The tests cache in their process's own memory, not in the file cache that the demo's
    processes share (settings.py), before anything reads the cache."""
    from django.conf import settings

    if not os.environ.get("REDIS_URL"):
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    """Each test starts with nothing cached: pages from one test never serve another. Nor
    does a test that made the cache fail leave the page cache resting for the next."""
    from articles.site import caching, entries

    monkeypatch.setattr(entries, "_rest_until", 0.0)
    caching.forget()
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit(): ...``: what the block's writes set off after commit (the search
    refresh, the purge) runs at its end, as if its transaction committed; a test's own
    transaction never does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def demo_story(db):
    """The seed story, loaded from the committed demo fixture."""
    from articles.models import Story

    call_command("loaddata", DEMO_FIXTURE, verbosity=0)
    return Story.objects.get()


CHROMIUM = Path("/usr/bin/chromium")

# Playwright's sync API keeps an event loop running in the test thread, and Django refuses
# ORM calls when it sees one. The tests' own ORM calls are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's Chromium; its own browser download cannot work here."""
    if not CHROMIUM.exists():
        reason = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }
