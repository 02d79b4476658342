"""What fails in a batch (refused copy, the database, SIGTERM) fails alone; the rest goes in."""

import os
import random
import signal
import string

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, DataError, OperationalError, connection
from reversion.models import Revision, Version
from taggit.models import Tag

from articles import services, wire
from articles.management.commands import import_wire
from articles.models import Section, Story, TaggedStory
from articles.services import import_session, importing
from articles.site import caching
from tests.services.batch_helpers import HEADLINE, variant, wire_copy, write_files

pytestmark = pytest.mark.django_db


def everything_of(story_pk: int) -> tuple[int, int, int]:
    return (
        Section.objects.filter(story_id=story_pk).count(),
        TaggedStory.objects.filter(content_object_id=story_pk).count(),
        Version.objects.get_for_object_reference(Story, story_pk).count(),
    )


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


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_after_the_current_batch(tmp_path, monkeypatch, capsys):
    """SIGTERM (as Ctrl-C): the batch being saved goes in, with its search refresh and the
    purge of cached pages; no other batch starts; one line and a non-zero exit status."""
    monkeypatch.setattr(import_wire, "BATCH_SIZE", 2)
    invalidated = []
    monkeypatch.setattr(caching, "purge", lambda keys: invalidated.append(1))
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
