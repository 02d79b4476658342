"""Imports at once: two runs over the same files, and a batch retried after a deadlock."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from reversion.models import Revision, Version
from taggit.models import Tag

from articles.models import Section, Story, TaggedStory
from articles.services import importing
from tests.services.batch_helpers import write_files

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_files_in_opposite_orders_both_finish(tmp_path, monkeypatch):
    """On PostgreSQL, two import_wire runs over the same files, one backwards, at once: no
    deadlock, both exit 0, one story (with its sections and one version) per copy. Batches
    that do not line up, and tags new to each file, are what made the two deadlock; a few
    rounds, as a deadlock needs the two to meet at the wrong moment."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent connections")
    monkeypatch.setattr("articles.management.commands.import_wire.BATCH_SIZE", 7)
    paths = write_files(tmp_path, 61)
    for n, path in enumerate(paths):
        path.with_suffix(".toml").write_text(f'tags = ["Take {n}", "Karabakh {n % 5}"]\n')

    def run(name, files):
        err = io.StringIO()
        try:
            ready.wait(timeout=10)
            call_command("import_wire", *files, verbosity=0, stdout=io.StringIO(), stderr=err)
            outcomes[name] = err.getvalue()
        except BaseException as exc:  # the test reports whatever stopped it
            outcomes[name] = repr(exc)
        finally:
            connection.close()

    for _ in range(4):
        Story.objects.all().delete()
        Tag.objects.all().delete()
        Revision.objects.all().delete()
        ready = threading.Barrier(2)
        outcomes = {}
        threads = [
            threading.Thread(target=run, args=("forwards", paths)),
            threading.Thread(target=run, args=("backwards", paths[::-1])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert outcomes == {"forwards": "", "backwards": ""}
        assert Story.objects.count() == 61
        assert Section.objects.count() == 61 * 4
        # One version of each story, in its batch's revision.
        assert Version.objects.get_for_model(Story).count() == 61
        assert TaggedStory.objects.count() == 61 * 2


class FakeDeadlock(Exception):
    sqlstate = "40P01"


def deadlock() -> OperationalError:
    """What Django raises for PostgreSQL's "deadlock detected" (psycopg's error as cause)."""
    exc = OperationalError("deadlock detected\nDETAIL:  Process 1 waits for ShareLock")
    exc.__cause__ = FakeDeadlock()
    return exc


@pytest.mark.django_db(transaction=True)
def test_a_batch_rolled_back_for_a_deadlock_is_tried_again(tmp_path, monkeypatch, capsys):
    """A deadlock or serialization failure is not the copy's fault: the batch is saved
    again, and the import succeeds."""
    real = importing._import_wire_batch
    calls = []

    def deadlocks_once(copies, **kwargs):
        calls.append(len(copies))
        if len(calls) == 1:
            raise deadlock()
        return real(copies, **kwargs)

    monkeypatch.setattr(importing, "_import_wire_batch", deadlocks_once)
    paths = write_files(tmp_path, 3)
    call_command("import_wire", *paths, verbosity=0)
    assert calls == [3, 3]
    assert Story.objects.count() == 3
    assert capsys.readouterr().err == ""
