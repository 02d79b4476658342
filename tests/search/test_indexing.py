"""Keeping search current: every write path (on both databases), PostgreSQL's rebuilds and
their failures."""

import logging
import random
import string

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.urls import reverse
from taggit.models import Tag

from articles import search, services
from articles.models import Story
from articles.services import history
from articles.services.fixtures import DEMO_FIXTURE, SOURCE_DIR
from tests.factories import make_story, story_form_data
from tests.search.helpers import POSTGRESQL, headlines, postgresql_only, story_with

pytestmark = pytest.mark.django_db

SEED = SOURCE_DIR / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"


def too_many_words() -> str:
    """Copy whose text-search vector would pass PostgreSQL's 1 MB limit: hyphenated
    compounds of made-up words are indexed whole and in parts."""
    rng = random.Random(1)

    def compound():
        return "-".join("".join(rng.choices(string.ascii_lowercase, k=10)) for _ in range(5))

    return "\n".join(" ".join(compound() for _ in range(20)) for _ in range(600))


def test_rebuild_search_command(demo_story, capsys):
    """``rebuild_search`` fills the stored fields after a fixture load emptied them."""
    call_command("rebuild_search")
    out = capsys.readouterr().out
    if POSTGRESQL:
        assert "Rebuilt the search fields of 1 story." in out
        demo_story.refresh_from_db()
        assert "Pashinyan" in demo_story.search_document
    else:
        assert "Nothing to rebuild" in out
    assert headlines("Pashinyan") == [demo_story.headline]


@pytest.mark.skipif(POSTGRESQL, reason="SQLite's index is kept by the database")
def test_refreshing_on_sqlite_does_nothing(django_capture_on_commit_callbacks):
    """SQLite's triggers keep its index: there is nothing to refresh, nothing is scheduled."""
    story = make_story()
    assert search.refresh_stories([story.pk]) == 0
    assert search.refresh([story.pk]) == []
    assert search.refresh_all() == 0
    with django_capture_on_commit_callbacks() as callbacks:
        search.refresh_on_commit([story.pk])
    assert callbacks == []


@postgresql_only
def test_rebuild_search_indexes_the_rest_when_one_story_cannot_be(capsys):
    """A story beyond PostgreSQL's 1 MB vector limit is named on one line; every other
    story of its batch is rebuilt, and the command exits with an error."""
    good = [make_story(headline=f"Quokka census {n}") for n in range(3)]
    huge = make_story(headline="Unindexable", sections=[("", [too_many_words()])])
    Story.objects.update(search_vector=None, search_document="")
    with pytest.raises(CommandError, match="1 stories could not be indexed; the rest were"):
        call_command("rebuild_search")
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"Story {huge.pk} could not be indexed for search: string is too long")
    assert "\n" not in err
    assert sorted(headlines("Quokka")) == sorted(story.headline for story in good)


@postgresql_only
def test_refresh_all_without_a_list_of_failures_raises_after_the_rest(caplog):
    """Without ``failed``, the first story that cannot be indexed raises, once the others
    are refreshed; each failure is logged on one line."""
    good = make_story(headline="Quokka census")
    huge = make_story(headline="Unindexable", sections=[("", [too_many_words()])])
    Story.objects.update(search_vector=None, search_document="")
    caplog.clear()  # the factory's own refresh of the huge story logged it once already
    with caplog.at_level(logging.ERROR), pytest.raises(DatabaseError, match=f"story {huge.pk}"):
        search.refresh_all(batch_size=1)
    assert headlines("Quokka") == [good.headline]
    assert [record.getMessage().count("\n") for record in caplog.records] == [0]


def test_a_fixture_load_is_searchable_once_committed(django_capture_on_commit_callbacks):
    """``loaddata`` saves stories raw, around every workflow: they are indexed after it."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("loaddata", DEMO_FIXTURE, verbosity=0)
    assert headlines("Pashinyan") == [Story.objects.get().headline]


def test_an_import_is_searchable_once_committed(django_capture_on_commit_callbacks):
    """Importing wire copy refreshes the new story's search fields after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        story = services.import_wire_copy(data=SEED.read_bytes(), publish=True).story
    assert headlines("Pashinyan") == [story.headline]


def test_a_service_save_refreshes_the_vector(admin_user, django_capture_on_commit_callbacks):
    """After ``save_story`` a new headline word is found and the old one no longer is."""
    story = story_with("Plain text.", headline="Flamingo count")
    story.headline = "Pelican count"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_story(story=story, expected_version=story.version, user=admin_user)
    assert headlines("pelican") == ["Pelican count"]
    assert headlines("flamingo") == []


def test_an_admin_edit_refreshes_the_vector(admin_client, django_capture_on_commit_callbacks):
    """Sections and tags saved by the admin (after the story itself) are in the vector."""
    story = story_with("The lemur was seen.", tags=["Animals"])
    data = story_form_data(
        story, sections=[("", "The aardvark was seen."), ("Sightings", "More.")], tags="Zoology"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:articles_story_change", args=[story.pk]), data)
    assert response.status_code == 302
    assert headlines("aardvark") == [story.headline]
    assert headlines("sightings") == [story.headline]
    assert headlines("zoology") == [story.headline]
    assert headlines("lemur") == []
    assert headlines("animals") == []


def test_an_admin_add_is_searchable(admin_client, django_capture_on_commit_callbacks):
    """A story written in the admin is searchable once saved with its sections."""
    data = story_form_data(
        Story(headline="Okapi spotted", slug="okapi-spotted", status=Story.Status.PUBLISHED),
        sections=[("", "In the forest.")],
        published_at_0="2024-01-02",
        published_at_1="10:00:00",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:articles_story_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert headlines("forest") == ["Okapi spotted"]


def test_restoring_a_version_refreshes_the_vector(admin_user, django_capture_on_commit_callbacks):
    """Restoring an earlier revision makes its words findable again."""
    story = story_with("Plain text.", headline="Walrus seen")
    first = history.story_versions(story.pk).last()
    story.headline = "Narwhal seen"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_story(story=story, expected_version=story.version, user=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.restore_version(
            story=story, version=first, user=admin_user, expected_version=story.version
        )
    assert headlines("walrus") == ["Walrus seen"]
    assert headlines("narwhal") == []


def test_merging_tags_refreshes_the_stories(admin_user, django_capture_on_commit_callbacks):
    """A merged tag's stories are found by the tag they now carry, not the old one."""
    story = story_with("Plain text.", headline="Border news", tags=["Ruritania"])
    target = Tag.objects.create(name="Graustark", slug="graustark")
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_tags(
            target=target, sources=[Tag.objects.get(name="Ruritania")], user=admin_user
        )
    assert headlines("Graustark") == ["Border news"]
    assert headlines("Ruritania") == []
    assert story.tags.names()[0] == "Graustark"


@postgresql_only
def test_a_refresh_does_not_count_as_an_edit():
    """Recomputing the search fields leaves the story's updated time alone."""
    story = story_with("Text.")
    before = Story.objects.get(pk=story.pk).updated_at
    search.refresh_stories([story.pk])
    assert Story.objects.get(pk=story.pk).updated_at == before


def test_the_demo_command_makes_the_story_searchable(settings, django_capture_on_commit_callbacks):
    """After ``manage.py demo`` commits, its story's search fields are filled."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", "--no-serve", verbosity=0)
    assert headlines("Pashinian") == [Story.objects.get().headline]
