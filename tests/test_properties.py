"""Reliability: properties that hold for any sequence of editorial actions, and races."""

import threading
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from articles import services
from articles.models import Story
from articles.site import caching
from tests.factories import make_user

SEED = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "source"
    / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
)

# Times a few minutes off (inside a cached page's lifetime) as well as hours off.
minutes = st.one_of(st.integers(-5, 5), st.integers(min_value=-600, max_value=600))
ahead = st.one_of(st.integers(1, 4), st.integers(5, 600))
actions = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), st.integers(0, 2)),
        st.tuples(st.just("unpublish"), st.integers(0, 2)),
        st.tuples(st.just("schedule"), st.integers(0, 2), ahead),
        st.tuples(st.just("edit"), st.integers(0, 2)),
        st.tuples(st.just("backdate"), st.integers(0, 2), minutes),
        st.tuples(st.just("embargo"), st.integers(0, 2), minutes),
        st.tuples(st.just("lift embargo"), st.integers(0, 2)),
        st.tuples(st.just("publish at embargo"), st.integers(0, 2)),
        st.tuples(st.just("kill"), st.integers(0, 2)),
        st.tuples(st.just("reinstate"), st.integers(0, 2)),
        st.tuples(st.just("wait"), st.integers(0, 2), ahead),
    ),
    max_size=10,
)
starts = st.lists(
    st.tuples(
        st.sampled_from(["draft", "published", "killed"]),
        st.one_of(st.none(), minutes),
        st.one_of(st.none(), minutes),  # an embargo
    ),
    min_size=3,
    max_size=3,
)

PUBLIC_PATHS = [
    "/",
    "/tags/property/",
    "/places/baku/",
    "/feeds/rss/",
    "/tags/property/feed/atom/",
    "/sitemap.xml",
    "/api/ninjs/stories/",
]


class PublicationProperties(TestCase):
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(starts=starts, actions=actions)
    # Always tried: a time and an embargo passing inside cached pages' lifetime, alone.
    @example(
        starts=[("published", 3, None), ("published", -60, 2), ("draft", None, None)],
        actions=[("wait", 0, 4)],
    )
    def test_only_public_stories_reach_public_paths(self, starts, actions):
        """Whatever the statuses, times, embargoes and actions (publish, schedule, embargo,
        kill, reinstate, edit, and time passing), a story is on a public path exactly when
        it is published, its time has come and no embargo holds it; an embargoed or killed
        story reaches none, and cached pages (its own too) never lag behind. An action the
        services refuse (publishing before the embargo, say) changes nothing."""
        editor = make_user(f"editor-{Story.objects.count()}", "Editor")
        now = timezone.now()
        stories = []
        # Each example's database is rolled back under the cache: start it empty too.
        cache.clear()
        caching.forget()
        with self.captureOnCommitCallbacks(execute=True):  # made, and committed
            for n, (status, offset, embargo) in enumerate(starts):
                with_time = None if offset is None else now + timedelta(minutes=offset)
                story = Story.objects.create(
                    headline=f"Property story {n} marker{n}x",
                    slug=f"property-story-{n}",
                    status=status,
                    published_at=with_time,
                    embargo=None if embargo is None else now + timedelta(minutes=embargo),
                    dateline_place="BAKU",
                )
                story.tags.set(["Property"])
                stories.append(story)
        client = Client()
        # Fill the cache before the actions: the lists, and each story's own page.
        own = {s.pk: s.get_absolute_url() for s in stories if s.published_at is not None}
        for path in [*PUBLIC_PATHS, *own.values()]:
            client.get(path)
        offset = timedelta(0)  # "wait" moves the clock on: embargoes and times pass
        real_now = timezone.now
        with mock.patch.object(timezone, "now", lambda: real_now() + offset):
            for action, index, *args in actions:
                if action == "wait":
                    offset += timedelta(minutes=args[0])
                    continue
                # Each action commits, as in the desk: what it sets off runs after it.
                story = Story.objects.get(pk=stories[index].pk)
                before = Story.objects.filter(pk=story.pk).values().get()
                try:
                    with self.captureOnCommitCallbacks(execute=True):
                        act(story, action, args, editor)
                except ValidationError:  # refused: nothing of it was written
                    assert Story.objects.filter(pk=story.pk).values().get() == before
            self.check_public_paths(client, stories, own)

    def check_public_paths(self, client, stories, own):
        pages = {path: client.get(path).content.decode() for path in PUBLIC_PATHS}
        for story in Story.objects.filter(pk__in=[s.pk for s in stories]):
            if story.published_at is not None:  # its own address: 200 only when public
                status = client.get(story.get_absolute_url()).status_code
                assert (status == 200) == story.is_public, (story.publication, status)
            if story.pk in own and own[story.pk] != story.get_absolute_url():
                # Its address before the actions: moved on (301) only when public now
                # (and only if readers could have seen it there: an address never public
                # is not kept).
                status = client.get(own[story.pk]).status_code
                assert status in ((301, 404) if story.is_public else (404, 410)), status
            marker = story.headline.split()[-1]
            for path, body in pages.items():
                shown = marker in body or f"/{story.slug}/" in body
                if path == "/sitemap.xml":
                    shown = f"/{story.slug}/" in body
                assert shown == story.is_public, (path, story.status, story.published_at)


def act(story: Story, action: str, args: list, editor) -> None:
    """One editorial action on ``story``, through the services as the desk takes it."""
    if action == "publish":
        services.publish_story(story=story, user=editor)
    elif action == "unpublish":
        services.unpublish_story(story=story, user=editor)
    elif action == "schedule":
        at = timezone.now() + timedelta(minutes=args[0])
        services.schedule_story(story=story, user=editor, at=at)
    elif action == "publish at embargo":
        services.publish_at_embargo(story=story, user=editor)
    elif action == "kill":
        services.kill_story(story=story, user=editor)
    elif action == "reinstate":
        services.reinstate_story(story=story, user=editor)
    elif action in ("edit", "backdate", "embargo", "lift embargo"):
        if action == "edit":
            story.standfirst = "edited"
        elif action == "backdate" and story.published_at:
            story.published_at = timezone.now() + timedelta(minutes=args[0])
        elif action == "embargo":
            story.embargo = timezone.now() + timedelta(minutes=args[0])
        elif action == "lift embargo":
            story.embargo = None
        services.save_story(story=story, expected_version=story.version, user=editor)


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_copy_at_once_make_one_story():
    """On PostgreSQL, two sessions importing one file at the same moment: one story."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent connections")
    data = SEED.read_bytes()
    ready = threading.Barrier(2)
    results = []

    def import_copy():
        try:
            ready.wait(timeout=10)
            results.append(services.import_wire_copy(data=data).created)
        finally:
            connection.close()

    threads = [threading.Thread(target=import_copy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False, True]
    assert Story.objects.count() == 1
    assert Story.objects.get().sections.count() == 4
