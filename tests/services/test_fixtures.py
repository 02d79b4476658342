"""The demo fixture: built from the seed, fresh, and loadable any number of times."""

import json

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from taggit.models import Tag

from articles import services
from articles.management.commands import build_fixtures
from articles.models import Section, Story, TaggedStory
from articles.services import fixtures


def test_committed_fixture_is_fresh():
    """``build_fixtures --check`` passes on what is committed."""
    call_command("build_fixtures", "--check", verbosity=0)


def test_build_is_deterministic():
    """Two builds give the same bytes, and those are the committed bytes."""
    first, second = fixtures.build_demo_fixture(), fixtures.build_demo_fixture()
    assert first == second == fixtures.DEMO_FIXTURE.read_text(encoding="utf-8")


def test_check_fails_when_the_fixture_is_stale(tmp_path, monkeypatch):
    """An edited fixture is reported as stale and left alone."""
    stale = tmp_path / "demo.json"
    stale.write_text("[]\n")
    monkeypatch.setattr(build_fixtures, "DEMO_FIXTURE", stale)
    with pytest.raises(CommandError, match="stale"):
        call_command("build_fixtures", "--check")
    assert stale.read_text() == "[]\n"


def test_fixture_carries_no_database_ids():
    """Natural keys throughout: the fixture does not depend on ids."""
    objects = json.loads(fixtures.DEMO_FIXTURE.read_text(encoding="utf-8"))
    assert all("pk" not in obj for obj in objects)
    assert {obj["model"] for obj in objects} == {
        "taggit.tag",
        "articles.story",
        "articles.section",
        "articles.taggedstory",
        "articles.take",
    }


def test_sidecar_sets_status_and_tags():
    """The seed's sidecar publishes it with the editors' tags."""
    objects = json.loads(fixtures.DEMO_FIXTURE.read_text(encoding="utf-8"))
    (story,) = [o["fields"] for o in objects if o["model"] == "articles.story"]
    assert story["status"] == "published"
    tags = {o["fields"]["name"] for o in objects if o["model"] == "taggit.tag"}
    assert {"Azerbaijan", "Armenia", "Nagorno-Karabakh"} <= tags


def dump_everything() -> str:
    rows = [
        *Tag.objects.order_by("pk"),
        *Story.objects.order_by("pk"),
        *Section.objects.order_by("pk"),
        *TaggedStory.objects.order_by("pk"),
    ]
    return serializers.serialize("json", rows)


@pytest.mark.django_db
def test_loaddata_on_an_empty_database_then_again_changes_nothing():
    """Plain loaddata works on a fresh database; a second load changes no row."""
    call_command("loaddata", fixtures.DEMO_FIXTURE, verbosity=0)
    story = Story.objects.get()
    assert story.sections.count() == 4
    assert sorted(story.tags.names()) == sorted(
        ["Armenia", "Azerbaijan", "Conflict", "Nagorno-Karabakh", "Russia"]
    )
    before = dump_everything()
    call_command("loaddata", fixtures.DEMO_FIXTURE, verbosity=0)
    assert dump_everything() == before


@pytest.mark.django_db
def test_fixture_matches_a_story_imported_from_the_same_copy():
    """The demo story is known by its copy, so it does not duplicate an import."""
    source = fixtures.SOURCE_DIR / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
    imported = services.import_wire_copy(data=source.read_bytes()).story
    call_command("loaddata", fixtures.DEMO_FIXTURE, verbosity=0)
    assert Story.objects.get().pk == imported.pk
    assert Section.objects.count() == 4


@pytest.mark.django_db
def test_loading_it_makes_the_story_public(client):
    """The demo story is published and shows on the home page."""
    call_command("loaddata", fixtures.DEMO_FIXTURE, verbosity=0)
    assert list(Story.objects.published()) == [Story.objects.get()]
    assert "Azerbaijan claims victory" in client.get("/").content.decode()
