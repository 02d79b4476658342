"""A batch's search refresh: on commit, beside the command, retried, repaired and bounded."""

import logging
import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, DataError, connection

from articles import search, services
from articles.management.commands import import_wire
from articles.models import Story
from articles.services import effects
from articles.site import caching
from tests.services.batch_helpers import HEADLINE, wire_copy, write_files

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search fields are PostgreSQL's")
def test_a_batch_is_searchable_once_committed(django_capture_on_commit_callbacks):
    """Inside a transaction, the batch's search fields are refreshed when it commits."""
    with django_capture_on_commit_callbacks(execute=True):
        services.import_wire_batch([wire_copy(n, publish=True) for n in range(3)])
    assert not Story.objects.filter(search_vector=None).exists()
    assert search.search_stories("Karabakh").count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search fields are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_command_fills_the_search_fields(tmp_path, monkeypatch):
    """Outside a transaction the command refreshes search beside the import, and finds
    every story before it returns."""
    monkeypatch.setattr("articles.management.commands.import_wire.BATCH_SIZE", 2)
    paths = write_files(tmp_path, 5)
    call_command("import_wire", *paths, "--publish", verbosity=0)
    assert Story.objects.count() == 5
    assert not Story.objects.filter(search_vector=None).exists()
    assert search.search_stories("Karabakh").count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_failed_background_refresh_is_tried_again(tmp_path, monkeypatch, capsys):
    """A refresh that fails in a worker (a deadlock on new lexicon words, say) is tried
    again at the end; the import succeeds without a warning."""
    monkeypatch.setattr("articles.management.commands.import_wire.BATCH_SIZE", 2)
    monkeypatch.setattr(search, "is_postgresql", lambda using="default": True)
    calls = []

    def flaky(pks, **kwargs):
        calls.append(sorted(pks))
        if len(calls) == 1:
            raise RuntimeError("deadlock detected")
        return len(pks)

    monkeypatch.setattr(search, "refresh_stories", flaky)
    paths = write_files(tmp_path, 5)
    call_command("import_wire", *paths, verbosity=0)
    assert "rebuild_search" not in capsys.readouterr().err
    refreshed = sorted(pk for pks in calls[1:] for pk in pks)
    assert refreshed == sorted(Story.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_refresh_that_keeps_failing_is_reported_not_fatal(tmp_path, monkeypatch, capsys):
    """The stories stay imported; the operator is told to run rebuild_search."""
    monkeypatch.setattr("articles.management.commands.import_wire.BATCH_SIZE", 2)
    monkeypatch.setattr(search, "is_postgresql", lambda using="default": True)

    def broken(pks, **kwargs):
        raise DatabaseError("no")

    monkeypatch.setattr(search, "refresh_stories", broken)
    paths = write_files(tmp_path, 3)
    call_command("import_wire", *paths, verbosity=0)
    err = capsys.readouterr().err
    assert "The search fields of 3 imported stories could not be refreshed" in err
    assert "rebuild_search" in err
    assert Story.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search fields are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_rerun_fills_the_search_fields_an_interrupted_import_missed(tmp_path, monkeypatch):
    """An import killed after a batch committed but before its search refresh leaves
    stories unsearchable; importing the same files again refreshes them (and purges
    cached pages, as they are published) though they are "already imported"."""
    monkeypatch.setattr(import_wire, "BATCH_SIZE", 2)
    paths = write_files(tmp_path, 5)
    with monkeypatch.context() as killed:
        killed.setattr(effects.SearchRefresher, "refresh", lambda self, pks: None)
        killed.setattr(caching, "purge", lambda keys: None)
        call_command("import_wire", *paths[:3], "--publish", verbosity=0)
    assert Story.objects.filter(search_vector=None).count() == 3
    invalidated = []
    monkeypatch.setattr(caching, "purge", lambda keys: invalidated.append(1))
    call_command("import_wire", *paths, "--publish", verbosity=0)
    assert not Story.objects.filter(search_vector=None).exists()
    assert search.search_stories("Karabakh").count() == 5
    assert invalidated == [1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search fields are PostgreSQL's")
def test_a_batch_inside_a_transaction_repairs_missing_search_fields_on_commit(
    django_capture_on_commit_callbacks,
):
    """import_wire_batch itself (as the admin or a script calls it) repairs them too."""
    with effects.gathered():  # changes gathered and dropped: an import killed before its refresh
        (first,) = services.import_wire_batch([wire_copy(1, publish=True)])
    assert Story.objects.filter(pk=first.story.pk, search_vector=None).exists()
    with django_capture_on_commit_callbacks(execute=True):
        (again,) = services.import_wire_batch([wire_copy(1, publish=True)])
    assert (again.created, again.search_missing) == (False, True)
    assert not Story.objects.filter(search_vector=None).exists()


@pytest.mark.django_db(transaction=True)
def test_the_refresh_queue_is_bounded(monkeypatch):
    """The import waits for a refresh thread when two batches already wait for one."""
    monkeypatch.setattr(search, "is_postgresql", lambda using="default": True)
    release = threading.Event()
    monkeypatch.setattr(search, "refresh_stories", lambda pks, **kwargs: release.wait(30))
    waited = []
    real_wait = effects.wait

    def wait(futures, **kwargs):
        waited.append(len([f for f in futures if not f.done()]))
        release.set()
        return real_wait(futures, **kwargs)

    monkeypatch.setattr(effects, "wait", wait)
    refresher = effects.SearchRefresher()
    assert refresher.active
    for n in range(4):
        refresher.refresh([n])
    assert waited == []
    refresher.refresh([4])
    assert waited == [4]
    assert refresher.finish() == []


@pytest.mark.django_db(transaction=True)
def test_a_story_that_cannot_be_indexed_leaves_the_rest_of_its_batch_searchable(
    tmp_path, monkeypatch, capsys, caplog
):
    """When a batch's refresh fails, each story is refreshed alone: only the one the
    database refuses stays unsearchable, reported on one line (and logged on one line, no
    traceback)."""
    monkeypatch.setattr(import_wire, "BATCH_SIZE", 3)
    monkeypatch.setattr(search, "is_postgresql", lambda using="default": True)
    refreshed = []

    def too_long(pks, **kwargs):
        pks = list(pks)
        if any(Story.objects.get(pk=pk).headline.endswith("take 1") for pk in pks):
            raise DataError(
                "string is too long for tsvector (1100000 bytes, max 1048575 bytes)\nCONTEXT: x"
            )
        refreshed.extend(pks)
        return len(pks)

    monkeypatch.setattr(search, "refresh_stories", too_long)
    paths = write_files(tmp_path, 3)
    with caplog.at_level(logging.ERROR):
        call_command("import_wire", *paths, verbosity=0)
    poison = Story.objects.get(headline=f"{HEADLINE}, take 1").pk
    assert sorted(refreshed) == sorted(
        Story.objects.exclude(pk=poison).values_list("pk", flat=True)
    )
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"story {poison}: the search fields could not be refreshed: string is too long for "
        "tsvector (1100000 bytes, max 1048575 bytes)"
    )
    assert err[1].startswith("The search fields of 1 imported stories could not be refreshed")
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is None
    assert str(poison) in record.getMessage()


def test_the_search_refresh_on_commit_is_a_named_function(monkeypatch):
    """Django's robust on_commit logs a failing callback by its __qualname__: not a partial."""
    monkeypatch.setattr(search, "is_postgresql", lambda using="default": True)
    from django.db import transaction

    registered = []
    monkeypatch.setattr(
        transaction, "on_commit", lambda func, using=None, robust=False: registered.append(func)
    )
    services.import_wire_batch([wire_copy(1)])
    assert registered
    assert all(hasattr(func, "__qualname__") for func in registered)
