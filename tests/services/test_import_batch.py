"""Importing many files at once: batches, bulk tags, bulk revisions, one search refresh."""

import io
import logging
import os
import random
import shutil
import signal
import string
import threading
from pathlib import Path

import pytest
import reversion
from django.core.management import CommandError, call_command
from django.db import DatabaseError, DataError, OperationalError, connection
from reversion.models import Revision, Version
from taggit.models import Tag

from articles import search, services, wire
from articles.management.commands import import_wire
from articles.models import Section, Story, TaggedStory
from articles.services import effects, history, import_session, importing
from articles.site import caching
from tests.factories import make_user

SEED = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "source"
    / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
)
HEADLINE = "Azerbaijan claims victory after Karabakh separatists surrender"

pytestmark = pytest.mark.django_db


def variant(n: int, headline: str | None = None) -> str:
    """The seed copy with a headline of its own (so a checksum of its own)."""
    text = SEED.read_text(encoding="utf-8")
    return text.replace(HEADLINE, headline or f"{HEADLINE}, take {n}", 1)


def wire_copy(n: int, *, headline: str | None = None, **options) -> services.WireCopy:
    return services.WireCopy(services.parse_copy(variant(n, headline)), **options)


def write_files(folder: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = folder / f"{n:03}.txt"
        path.write_text(variant(n), encoding="utf-8")
        paths.append(path)
    return paths


def everything_of(story_pk: int) -> tuple[int, int, int]:
    return (
        Section.objects.filter(story_id=story_pk).count(),
        TaggedStory.objects.filter(content_object_id=story_pk).count(),
        Version.objects.get_for_object_reference(Story, story_pk).count(),
    )


def test_a_batch_imports_every_copy_in_order_with_its_parts():
    """One result per copy in the given order, each story whole: sections, tags, revision."""
    results = services.import_wire_batch([wire_copy(n) for n in range(5)])
    assert [r.created for r in results] == [True] * 5
    assert [r.story.headline for r in results] == [f"{HEADLINE}, take {n}" for n in range(5)]
    for result in results:
        story = Story.objects.get(pk=result.story.pk)
        assert story.status == Story.Status.DRAFT
        assert [len(s.paragraphs) for s in story.sections.all()] == [9, 14, 10, 4]
        assert "Azerbaijan" in story.tags.names()
        (version,) = history.story_versions(story.pk)
        assert version.revision.comment == "Imported from wire copy"
    assert Revision.objects.count() == 1  # the batch's


def test_the_same_copy_twice_in_a_batch_or_again_later_is_one_story():
    """Copy earlier in the batch, or imported before, gives the story already there."""
    (first,) = services.import_wire_batch([wire_copy(1)])
    again = services.import_wire_batch([wire_copy(2), wire_copy(1), wire_copy(2)])
    assert [r.created for r in again] == [True, False, False]
    assert again[1].story.pk == first.story.pk
    assert again[2].story.pk == again[0].story.pk
    assert Story.objects.count() == 2
    assert Revision.objects.count() == 2


def refuse_tag(monkeypatch, poison: str) -> None:
    """The database refuses any story tagged ``poison``, as it would a value too long."""
    real = importing.tags_named

    def refuse(names):
        names = list(names)
        if poison in names:
            raise DataError("value too long for type character varying(100)\nDETAIL: …")
        return real(names)

    monkeypatch.setattr(importing, "tags_named", refuse)


def test_a_story_the_database_refuses_leaves_nothing_and_the_others_go_in(monkeypatch):
    """A refused story in the middle of a batch rolls back only itself."""
    refuse_tag(monkeypatch, "Poison")
    copies = [wire_copy(1), wire_copy(2, tags=("Poison",)), wire_copy(3)]
    results = services.import_wire_batch(copies)
    assert [r.created for r in (results[0], results[2])] == [True, True]
    assert isinstance(results[1], DataError)
    assert services.failure_reason(results[1]) == (
        "the database refused the story: value too long for type character varying(100)"
    )
    assert sorted(Story.objects.values_list("headline", flat=True)) == [
        f"{HEADLINE}, take 1",
        f"{HEADLINE}, take 3",
    ]
    assert Section.objects.count() == 8
    assert Revision.objects.count() == 2
    assert not Version.objects.filter(object_repr=f"{HEADLINE}, take 2").exists()
    for result in (results[0], results[2]):
        assert everything_of(result.story.pk)[0] == 4


def test_the_command_reports_a_refused_story_and_imports_the_rest(tmp_path, capsys, monkeypatch):
    """A file the database refuses is one line on stderr and exit 1; the rest go in."""
    paths = write_files(tmp_path, 3)
    paths[1].with_suffix(".toml").write_text('tags = ["Poison"]\n')
    refuse_tag(monkeypatch, "Poison")
    with pytest.raises(CommandError, match="1 of 3 files could not be imported"):
        call_command("import_wire", *paths)
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        f"{paths[1]}: the database refused the story: value too long for type "
        "character varying(100)"
    ]
    assert f"{paths[0]}: imported as story" in out
    assert f"{paths[2]}: imported as story" in out
    assert Story.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not limit lengths")
def test_a_suggested_tag_too_long_to_store_fails_that_file_alone(tmp_path, capsys):
    """On PostgreSQL, a real refusal: a 105-letter name the parser suggests as a tag."""
    paths = write_files(tmp_path, 3)
    long_name = "Z" + "z" * 104
    paths[1].write_text(variant(1, headline=f"{long_name} and {long_name} agree"))
    with pytest.raises(CommandError, match="1 of 3 files could not be imported"):
        call_command("import_wire", *paths)
    err = capsys.readouterr().err
    assert f"{paths[1]}: the database refused the story: value too long" in err
    assert Story.objects.count() == 2
    assert not Story.objects.filter(headline__startswith="Zzz").exists()
    assert not Tag.objects.filter(name=long_name).exists()


def test_tags_are_matched_to_existing_ones_whatever_their_case():
    """As taggit does: "baku" is the existing Baku, the first spelling of a new name makes
    the tag, and of two existing tags differing in case the older one is used."""
    baku = Tag.objects.create(name="Baku")
    older = Tag.objects.create(name="Yerevan")
    Tag.objects.create(name="YEREVAN", slug="yerevan-2")
    results = services.import_wire_batch(
        [
            wire_copy(1, tags=("baku", "Caucasus", "yerevan")),
            wire_copy(2, tags=("CAUCASUS", "Baku", "caucasus")),
        ]
    )
    first, second = (Story.objects.get(pk=r.story.pk) for r in results)
    assert sorted(first.tags.names()) == ["Baku", "Caucasus", "Yerevan"]
    assert sorted(second.tags.names()) == ["Baku", "Caucasus"]
    assert first.tags.get(name="Baku") == baku
    assert first.tags.get(name="Yerevan") == older
    assert Tag.objects.filter(name__iexact="caucasus").count() == 1
    assert Tag.objects.count() == 4


def test_a_new_tag_whose_slug_is_taken_gets_another_slug():
    """ "New York" beside an existing "New-York" is a tag of its own, slug new-york_1."""
    Tag.objects.create(name="New-York")
    services.import_wire_batch([wire_copy(1, tags=("New York",))])
    assert Tag.objects.get(name="New York").slug == "new-york_1"


def test_tags_come_out_as_taggit_makes_them():
    """The bulk path gives the same tags, slugs and story tags as ``story.tags.set()``."""
    names = ("Baku", "Nagorno-Karabakh", "São Tomé", "baku", "Армения")
    (result,) = services.import_wire_batch([wire_copy(1, tags=names)])
    bulk = sorted(Tag.objects.values_list("name", "slug"))
    story = Story.objects.get(pk=result.story.pk)
    TaggedStory.objects.all().delete()
    Tag.objects.all().delete()
    story.tags.set(list(names))
    assert sorted(Tag.objects.values_list("name", "slug")) == bulk


def test_revisions_are_the_ones_create_revision_makes():
    """Each imported story has, in its batch's one revision, the same versions, with the
    same serialised data, as ``reversion.create_revision()`` records for the story with its
    sections and tags (what the admin's history, compare and recover read); a published
    one's time in UTC ("Z"), not with the wire's offset."""
    user = make_user("wire", "Editor")
    results = services.import_wire_batch(
        [wire_copy(1), wire_copy(2), wire_copy(3, publish=True)], user=user
    )
    assert results[2].story.status == Story.Status.PUBLISHED
    batch_revisions = {
        Version.objects.get_for_object_reference(Story, r.story.pk).get().revision_id
        for r in results
    }
    assert len(batch_revisions) == 1
    for result in results:
        (imported,) = Version.objects.get_for_object_reference(Story, result.story.pk)
        assert (imported.revision.user, imported.revision.comment) == (
            user,
            "Imported from wire copy",
        )
        story = Story.objects.get(pk=result.story.pk)
        with reversion.create_revision():
            reversion.add_to_revision(story)
        reference = Version.objects.get_for_object_reference(Story, story.pk).first()
        assert reference.revision_id != imported.revision_id

        def rows(revision, story=story):
            """The revision's versions of this story, its sections, story tags and tags."""
            mine = {
                (type(obj), str(obj.pk))
                for obj in [
                    story,
                    *story.sections.all(),
                    *story.taggedstory_set.all(),
                    *story.tags.all(),
                ]
            }
            return [
                (v.content_type_id, v.object_id, v.db, v.format, v.object_repr, v.serialized_data)
                for v in revision.version_set.order_by("pk")
                if (v.content_type.model_class(), v.object_id) in mine
            ]

        # The order of story tags in a revision is the database's (reversion reads them
        # unordered), and a tag two stories share is in the batch's revision once, with the
        # first: the rows are compared as sets.
        assert sorted(rows(imported.revision)) == sorted(rows(reference.revision))
        assert len(rows(imported.revision)) == 1 + 4 + 2 * story.tags.count()


def test_an_imported_story_can_be_recovered_after_deletion(admin_user):
    """The bulk revision is enough to bring a deleted story back, sections and tags too."""
    (result,) = services.import_wire_batch([wire_copy(1, tags=("Baku", "Caucasus"))])
    pk = result.story.pk
    Story.objects.filter(pk=pk).delete()
    deleted = Version.objects.get_deleted(Story).get()
    story = services.recover_story(version=deleted, user=admin_user)
    assert story.pk == pk
    assert [len(s.paragraphs) for s in story.sections.all()] == [9, 14, 10, 4]
    assert sorted(story.tags.names()) == ["Baku", "Caucasus"]


BATCH_QUERIES = 19
"""The most queries a batch costs, whatever its size: its stories, sections and tags, and
its one revision (reversion's check that the objects exist, the revision, its versions)."""


def test_a_batch_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    """20 files' stories, sections, tags and revision cost what 2 do."""
    services.import_wire_batch([wire_copy(0)])  # the tags exist afterwards, as in a long import
    with django_assert_max_num_queries(BATCH_QUERIES):
        services.import_wire_batch([wire_copy(n) for n in range(1, 3)])
    with django_assert_max_num_queries(BATCH_QUERIES):
        services.import_wire_batch([wire_copy(n) for n in range(3, 23)])
    assert Story.objects.count() == 23


def test_published_imports_get_distinct_slugs_within_a_batch():
    """Two copies with one headline on one day get two addresses, in the given order."""
    text = SEED.read_text(encoding="utf-8")
    copies = [
        services.WireCopy(services.parse_copy(text), publish=True),
        services.WireCopy(services.parse_copy(text + "\nOne more line."), publish=True),
    ]
    first, second = services.import_wire_batch(copies)
    slug = "azerbaijan-claims-victory-after-karabakh-separatists-surrender"
    assert (first.story.slug, second.story.slug) == (slug, slug + "-2")
    third = services.import_wire_copy(data=text + "\nAnd another.", publish=True).story
    assert third.slug == slug + "-3"


def test_the_command_works_in_batches(tmp_path, capsys, monkeypatch):
    """More files than a batch: each file reported once, in order, all imported."""
    monkeypatch.setattr("articles.management.commands.import_wire.BATCH_SIZE", 3)
    paths = write_files(tmp_path, 7)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    call_args = [*paths[:4], bad, *paths[4:], paths[0]]
    with pytest.raises(CommandError, match="1 of 9 files could not be imported"):
        call_command("import_wire", *call_args)
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [str(p) for p in [*paths, paths[0]]]
    assert lines[-1].startswith(f"{paths[0]}: already imported as story")
    assert err.strip() == f"{bad}: empty input: no text to parse"
    assert Story.objects.count() == 7


def test_the_command_invalidates_cached_pages_once(tmp_path, monkeypatch):
    """Publishing many stories invalidates the cache once, after the import; drafts not."""
    monkeypatch.setattr("articles.management.commands.import_wire.BATCH_SIZE", 2)
    calls = []
    monkeypatch.setattr(caching, "invalidate", lambda: calls.append(1))
    paths = write_files(tmp_path, 5)
    call_command("import_wire", *paths[:2], verbosity=0)
    assert calls == []
    call_command("import_wire", *paths[2:], "--publish", verbosity=0)
    assert calls == [1]


def test_sidecars_still_set_tags_and_status_per_file(tmp_path):
    """A sidecar applies to its own file only, within a batch."""
    paths = write_files(tmp_path, 3)
    paths[1].with_suffix(".toml").write_text('status = "published"\ntags = ["Caucasus"]\n')
    call_command("import_wire", *paths, verbosity=0)
    statuses = dict(Story.objects.values_list("headline", "status"))
    assert statuses[f"{HEADLINE}, take 1"] == Story.Status.PUBLISHED
    assert statuses[f"{HEADLINE}, take 0"] == Story.Status.DRAFT
    assert list(Story.objects.get(headline=f"{HEADLINE}, take 1").tags.names()) == ["Caucasus"]


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


def test_bad_copy_in_a_file_list_still_writes_nothing_of_it(tmp_path):
    """A file the parser refuses is not half-written: no story, section or revision."""
    good = tmp_path / "good.txt"
    shutil.copyfile(SEED, good)
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"Headline only\n")
    with pytest.raises(CommandError):
        call_command("import_wire", broken, good, verbosity=0)
    assert Story.objects.count() == 1
    assert Revision.objects.count() == 1


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


@pytest.mark.django_db(transaction=True)
def test_a_database_failure_is_one_line_naming_the_files_not_imported(
    tmp_path, monkeypatch, capsys
):
    """Any other database error loses the batch, not the run: one line names its files,
    the next batches go in, exit status 1, no traceback."""
    monkeypatch.setattr(import_wire, "BATCH_SIZE", 2)
    real = import_session.import_wire_batch
    calls = []

    def fails_once(copies, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly\n\tThis ...")
        return real(copies, **kwargs)

    monkeypatch.setattr(import_session, "import_wire_batch", fails_once)
    paths = write_files(tmp_path, 4)
    with pytest.raises(CommandError, match="2 of 4 files could not be imported"):
        call_command("import_wire", *paths, verbosity=0)
    assert capsys.readouterr().err.splitlines() == [
        "2 files not imported, the database failed (the database refused the story: server "
        f"closed the connection unexpectedly): {paths[0]}, {paths[1]}"
    ]
    assert sorted(Story.objects.values_list("headline", flat=True)) == [
        f"{HEADLINE}, take 2",
        f"{HEADLINE}, take 3",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search fields are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_rerun_fills_the_search_fields_an_interrupted_import_missed(tmp_path, monkeypatch):
    """An import killed after a batch committed but before its search refresh leaves
    stories unsearchable; importing the same files again refreshes them (and invalidates
    cached pages, as they are published) though they are "already imported"."""
    monkeypatch.setattr(import_wire, "BATCH_SIZE", 2)
    paths = write_files(tmp_path, 5)
    with monkeypatch.context() as killed:
        killed.setattr(effects.SearchRefresher, "refresh", lambda self, pks: None)
        killed.setattr(caching, "invalidate", lambda: None)
        call_command("import_wire", *paths[:3], "--publish", verbosity=0)
    assert Story.objects.filter(search_vector=None).count() == 3
    invalidated = []
    monkeypatch.setattr(caching, "invalidate", lambda: invalidated.append(1))
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
def test_sigterm_stops_after_the_current_batch(tmp_path, monkeypatch, capsys):
    """SIGTERM (as Ctrl-C): the batch being saved goes in, with its search refresh and the
    cache invalidation; no other batch starts; one line and a non-zero exit status."""
    monkeypatch.setattr(import_wire, "BATCH_SIZE", 2)
    invalidated = []
    monkeypatch.setattr(caching, "invalidate", lambda: invalidated.append(1))
    real = import_session.import_wire_batch

    def terminated_during_the_first(copies, **kwargs):
        results = real(copies, **kwargs)
        if not invalidated and Story.objects.count() == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return results

    monkeypatch.setattr(import_session, "import_wire_batch", terminated_during_the_first)
    paths = write_files(tmp_path, 5)
    with pytest.raises(CommandError) as stopped:
        call_command("import_wire", *paths, "--publish", verbosity=0)
    assert stopped.value.returncode == 128 + signal.SIGTERM
    assert str(stopped.value) == (
        "Stopped by SIGTERM after 2 of 5 files; the other 3 were not imported "
        "(run the same command again)."
    )
    assert Story.objects.count() == 2
    assert invalidated == [1]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


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


def too_many_words() -> str:
    """Copy under the parser's megabyte whose search index would pass PostgreSQL's limit:
    hyphenated compounds of made-up words are indexed whole and in parts."""
    rng = random.Random(1)

    def compound():
        return "-".join("".join(rng.choices(string.ascii_lowercase, k=10)) for _ in range(5))

    lines = [" ".join(compound() for _ in range(20)) for _ in range(600)]
    return variant(0).replace("- Truce deal -", "\n".join(lines) + "\n\n- Truce deal -", 1)


def test_copy_with_more_words_than_search_can_index_is_a_bad_file(tmp_path, capsys):
    """Refused up front with a clear message, before anything is written; on PostgreSQL
    the copy is indeed more than a text-search vector can hold."""
    text = too_many_words()
    assert len(text.encode()) < 1_000_000
    path = tmp_path / "huge.txt"
    path.write_text(text, encoding="utf-8")
    good = write_files(tmp_path, 1)
    with pytest.raises(CommandError, match="1 of 2 files could not be imported"):
        call_command("import_wire", path, *good, verbosity=0)
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{path}: too many distinct words to index for search (")
    assert Story.objects.count() == 1
    with pytest.raises(wire.WireError, match="too many distinct words"):
        services.import_wire_copy(data=text)
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="string is too long for tsvector"),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT to_tsvector('english', %s)", [text])


def test_with_debug_on_the_logged_queries_do_not_grow_with_the_files(
    tmp_path, monkeypatch, settings
):
    """DEBUG keeps every query in memory: the command forgets them after each batch."""
    from django.db import reset_queries

    monkeypatch.setattr(import_wire, "BATCH_SIZE", 2)
    settings.DEBUG = True
    paths = write_files(tmp_path, 11)
    call_command("import_wire", paths[0], verbosity=0)  # the tags exist afterwards
    reset_queries()
    call_command("import_wire", *paths[1:3], verbosity=0)
    one_batch = len(connection.queries)
    reset_queries()
    call_command("import_wire", *paths[3:], verbosity=0)
    assert len(connection.queries) <= one_batch
    assert Story.objects.count() == 11


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
