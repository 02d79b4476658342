"""Every write's side effects, seen by the models' signals: once the transaction commits,
one search refresh and one purge of the keys it touched, however many steps it took."""

import ast
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone

import articles.management.commands
import articles.services
from articles import services
from articles.models import Story
from articles.services import effects
from articles.site import caching
from tests.factories import make_story, story_form_data
from tests.services.batch_helpers import wire_copy

pytestmark = pytest.mark.django_db

COMMANDS = Path(articles.management.commands.__file__).parent
SERVICES = Path(articles.services.__file__).parent


@contextmanager
def counted():
    """The search refreshes and page purges made inside the block, as mocks."""
    with (
        patch.object(effects, "refresh_search", wraps=effects.refresh_search) as refresh,
        patch.object(caching, "purge", wraps=caching.purge) as purge,
    ):
        yield refresh, purge


def after_commit(callbacks):
    """Run what the transaction left for after its commit; the refreshes and purges made."""
    assert {callback.__name__ for callback in callbacks} == {"make_changes_current"}
    with counted() as (refresh, purge):
        for callback in callbacks:
            callback()
    return refresh, purge


def purged_keys(purge) -> set[str]:
    ((keys,), _) = purge.call_args
    return set(keys)


def refreshed_ids(refresh) -> set[int]:
    ((pks,), _) = refresh.call_args
    return set(pks)


def test_one_desk_save_of_a_story_with_sections_refreshes_and_purges_once(
    client, editor, django_capture_on_commit_callbacks
):
    """Story, sections and tags saved by the change form: one refresh, one purge, on commit."""
    story = make_story(
        headline="Truce signed",
        sections=[("", ["Guns fell silent."]), ("Talks", ["In Yevlakh."])],
        published_at=timezone.now().replace(microsecond=0) - timedelta(hours=1),  # as the form
    )
    client.force_login(editor)
    data = story_form_data(
        story,
        headline="Truce signed in Yevlakh",
        sections=[("", "Guns fell silent."), ("Talks", "Negotiators met in Yevlakh.")],
    )
    with (
        counted() as (refresh_now, purge_now),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        response = client.post(reverse("admin:articles_story_change", args=[story.pk]), data)
    assert response.status_code == 302, response.context["errors"]
    # Inside the transaction: nothing; after it, one refresh and one purge of the story's key
    # and those of what shows its words (not the lists: its place in them is the same).
    assert (refresh_now.call_count, purge_now.call_count) == (0, 0)
    refresh, purge = after_commit(callbacks)
    assert (refresh.call_count, purge.call_count) == (1, 1)
    assert refreshed_ids(refresh) == {story.pk}
    assert purged_keys(purge) == {f"story-{story.pk}", "search", "sitemap"}
    assert Story.objects.get(pk=story.pk).headline == "Truce signed in Yevlakh"


def test_one_import_batch_refreshes_its_stories_and_purges_once(
    django_capture_on_commit_callbacks,
):
    """Three published stories in a batch: one refresh of the three, one purge."""
    with django_capture_on_commit_callbacks() as callbacks:
        results = services.import_wire_batch([wire_copy(n, publish=True) for n in range(3)])
    refresh, purge = after_commit(callbacks)
    assert (refresh.call_count, purge.call_count) == (1, 1)
    assert refreshed_ids(refresh) == {result.story.pk for result in results}


def test_importing_drafts_purges_nothing(django_capture_on_commit_callbacks):
    """Readers see no draft: its search fields are refreshed, no cached page is purged."""
    with (
        counted() as (_, purge_now),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        services.import_wire_batch([wire_copy(1)])
    refresh, purge = after_commit(callbacks)
    assert (refresh.call_count, purge.call_count, purge_now.call_count) == (1, 0, 0)


def test_one_publish_refreshes_and_purges_once(editor, django_capture_on_commit_callbacks):
    """Publishing a draft: one refresh of it and one purge after commit."""
    story = make_story(
        headline="Quiet news",
        status=Story.Status.DRAFT,
        ago=None,
        dateline_place="BAKU",
        tags=["Truce"],
    )
    with django_capture_on_commit_callbacks() as callbacks:
        services.publish_story(story=story, user=editor)
    refresh, purge = after_commit(callbacks)
    assert (refresh.call_count, purge.call_count) == (1, 1)
    assert refreshed_ids(refresh) == {story.pk}
    tag = story.tags.get()
    expected = {f"story-{story.pk}", "latest", "search", "sitemap", "place-baku"}
    assert purged_keys(purge) == expected | {f"tag-{tag.pk}-stories"}


def test_inside_a_transaction_nothing_is_purged_before_the_commit(editor):
    """A change is purged once it commits, never before: a page made meanwhile from the
    old content would otherwise be kept as current."""
    story = make_story(headline="Quiet news", status=Story.Status.DRAFT, ago=None)
    with counted() as (refresh, purge):
        services.publish_story(story=story, user=editor)
    assert (refresh.call_count, purge.call_count) == (0, 0)


def test_changes_gathered_for_an_import_session_are_left_to_it(
    django_capture_on_commit_callbacks,
):
    """Within gathered(), nothing is refreshed or purged: the caller has the changes."""
    with (
        counted() as (refresh, purge),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        effects.gathered() as changes,
    ):
        (result,) = services.import_wire_batch([wire_copy(1, publish=True)])
    assert callbacks == []
    assert (refresh.call_count, purge.call_count) == (0, 0)
    assert (changes.story_ids, changes.public) == ({result.story.pk}, True)


def test_a_change_rolled_back_is_not_made_current_with_the_next(
    django_capture_on_commit_callbacks,
):
    """The stories of a rolled-back block are neither refreshed nor purged for later."""
    story = make_story(headline="Kept", status=Story.Status.DRAFT, ago=None)
    with pytest.raises(RuntimeError), transaction.atomic():
        effects.stories_changed([story.pk + 1000])
        raise RuntimeError("rolled back")
    with django_capture_on_commit_callbacks() as callbacks:
        effects.stories_changed([story.pk], public=False)
    refresh, purge = after_commit(callbacks)
    assert (refresh.call_count, purge.call_count) == (1, 0)
    assert refreshed_ids(refresh) == {story.pk}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_change_is_made_current_at_once():
    """No transaction, nothing to wait for: refreshed and purged now, once each."""
    story = make_story(headline="Kept", ago=None)
    with counted() as (refresh, purge):
        effects.stories_changed([story.pk])
    assert (refresh.call_count, purge.call_count) == (1, 1)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_the_commands_never_touch_search_indexing_or_the_page_cache():
    """Commands call services; no command imports articles.search or the page cache."""
    for path in COMMANDS.glob("*.py"):
        touched = {
            name
            for name in imported_modules(path)
            if name.startswith(("articles.search", "articles.site"))
        }
        assert touched == set(), path.name


def test_only_the_effects_module_calls_the_page_cache():
    """The purge has one home in the services: the models' receivers in effects."""
    callers = {
        path.name
        for path in SERVICES.glob("*.py")
        if any(name.startswith("articles.site") for name in imported_modules(path))
    }
    assert callers == {"effects.py"}


def test_a_story_moved_to_another_place_purges_both_places(django_capture_on_commit_callbacks):
    """The save compares the story with what was loaded: both places' lists change."""
    story = Story.objects.get(pk=make_story(dateline_place="BAKU").pk)
    story.dateline_place = "YEREVAN"
    with django_capture_on_commit_callbacks() as callbacks:
        story.save()
    _, purge = after_commit(callbacks)
    expected = {"place-baku", "place-yerevan", "latest", f"story-{story.pk}"}
    assert expected <= purged_keys(purge)


def test_a_story_deleted_purges_its_lists_and_tags(django_capture_on_commit_callbacks):
    story = make_story(dateline_place="BAKU", tags=["Truce"])
    tag = story.tags.get()
    with django_capture_on_commit_callbacks() as callbacks:
        Story.objects.filter(pk=story.pk).delete()
    _, purge = after_commit(callbacks)
    expected = {f"story-{story.pk}", "latest", "place-baku", f"tag-{tag.pk}-stories"}
    assert expected <= purged_keys(purge)


def test_with_the_database_away_after_commit_the_main_lists_are_still_purged(
    django_capture_on_commit_callbacks, monkeypatch
):
    """The stories' tags and place cannot be read: their own keys and the lists every
    story is in are purged all the same; nothing escapes to the caller."""
    story = make_story(headline="Quiet news", status=Story.Status.DRAFT, ago=None)
    with django_capture_on_commit_callbacks() as callbacks:
        effects.stories_changed([story.pk])

    def away(changes):
        raise OperationalError("the database went away")

    monkeypatch.setattr(effects, "keys_of", away)
    _, purge = after_commit(callbacks)
    assert purged_keys(purge) == {f"story-{story.pk}", "latest", "search", "sitemap"}
