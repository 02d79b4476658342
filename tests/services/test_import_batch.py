"""A batch's stories: every copy in order and whole, once, with its slug; the command's batches."""

import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from reversion.models import Revision

from articles import services
from articles.management.commands import import_wire
from articles.models import Story
from articles.services import history
from articles.site import caching
from tests.services.batch_helpers import HEADLINE, SEED, wire_copy, write_files

pytestmark = pytest.mark.django_db


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


BATCH_QUERIES = 21
"""The most queries a batch costs, whatever its size: its stories, sections, tags and
takes (the takes already known, the new ones), and its one revision (reversion's check that
the objects exist, the revision, its versions)."""


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


def test_the_command_purges_cached_pages_once(tmp_path, monkeypatch, commit):
    """Publishing many stories purges once, after the import, what they are listed in;
    drafts purge nothing."""
    monkeypatch.setattr("articles.management.commands.import_wire.BATCH_SIZE", 2)
    calls = []
    monkeypatch.setattr(caching, "purge", lambda keys: calls.append(set(keys)))
    paths = write_files(tmp_path, 5)
    with commit():
        call_command("import_wire", *paths[:2], verbosity=0)
    assert calls == []
    with commit():
        call_command("import_wire", *paths[2:], "--publish", verbosity=0)
    assert len(calls) == 1
    published = Story.objects.filter(status=Story.Status.PUBLISHED)
    assert {"latest", "search", "sitemap"} | {f"story-{s.pk}" for s in published} <= calls[0]


def test_sidecars_still_set_tags_and_status_per_file(tmp_path):
    """A sidecar applies to its own file only, within a batch."""
    paths = write_files(tmp_path, 3)
    paths[1].with_suffix(".toml").write_text('status = "published"\ntags = ["Caucasus"]\n')
    call_command("import_wire", *paths, verbosity=0)
    statuses = dict(Story.objects.values_list("headline", "status"))
    assert statuses[f"{HEADLINE}, take 1"] == Story.Status.PUBLISHED
    assert statuses[f"{HEADLINE}, take 0"] == Story.Status.DRAFT
    assert list(Story.objects.get(headline=f"{HEADLINE}, take 1").tags.names()) == ["Caucasus"]


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
