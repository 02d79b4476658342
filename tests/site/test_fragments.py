"""Cached fragments: the sidebar's latest news (an include, shared by every page) and a
story's related stories are kept by the keys of what they show, current once a change to
what they show commits, and rendered anyway when the cache is away.

Page caching is off in these tests (``PAGE_CACHE_SECONDS=0``), so each page is rendered and
only the fragment can be cached.
"""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles import services
from articles.models import Story
from articles.site import entries
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pages_uncached(settings):
    settings.PAGE_CACHE_SECONDS = 0


def sidebar_html(client, url: str = "/") -> str:
    html = client.get(url).content.decode()
    section = re.search(r'<section class="latest-news".*?</section>', html, re.S)
    return section.group() if section else ""


def sidebar(client, url: str = "/") -> list[str]:
    """The headlines in the page's latest news, newest first."""
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', sidebar_html(client, url))


def related(client, story) -> list[str]:
    html = client.get(story.get_absolute_url()).content.decode()
    section = re.search(r'<section class="related".*?</section>', html, re.S)
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', section.group()) if section else []


def test_the_fragment_is_rendered_once_for_every_page(
    client, any_cache, django_assert_max_num_queries
):
    """A second page shows the same latest news without reading them again: the home page
    then costs its stories and their tags alone."""
    story = make_story(headline="Sidebar news", tags=["Baku"])
    assert sidebar(client, story.get_absolute_url()) == ["Sidebar news"]
    with django_assert_max_num_queries(2):
        assert sidebar(client, "/") == ["Sidebar news"]


def test_every_change_shows_in_the_fragment_at_once(client, any_cache, commit):
    """Publishing, editing and unpublishing through the services change the next page's
    sidebar."""
    editor = make_user("eddie", "Editor")
    make_story(headline="Older news", ago=timedelta(hours=2))
    story = make_story(headline="Breaking news", status="draft", ago=None)
    assert sidebar(client) == ["Older news"]
    with commit():
        services.publish_story(story=story, user=editor)
    assert sidebar(client) == ["Breaking news", "Older news"]
    story.headline = "Breaking: more news"
    with commit():
        services.save_story(story=story, expected_version=story.version, user=editor)
    assert sidebar(client) == ["Breaking: more news", "Older news"]
    with commit():
        services.unpublish_story(story=story, user=editor)
    assert sidebar(client) == ["Older news"]


def test_a_scheduled_story_enters_the_fragment_by_itself(client, any_cache, monkeypatch):
    """No one touches anything: the first page after its time shows it."""
    make_story(headline="Older news", ago=timedelta(hours=2))
    make_story(headline="Embargoed news", ago=-timedelta(minutes=30))
    assert sidebar(client) == ["Older news"]
    later = timezone.now() + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert sidebar(client) == ["Embargoed news", "Older news"]


def test_the_fragment_follows_the_address_and_the_time_zone(client, settings):
    """One cache entry per script prefix and URL configuration, and per time zone: links
    and times are right however the site is mounted and whatever zone is current."""
    story = make_story(headline="Mounted news")
    address = story.get_absolute_url()
    assert f'href="{address}"' in sidebar_html(client, "/")
    settings.ROOT_URLCONF = "tests.urls_under_news"
    assert f'href="/news{address}"' in sidebar_html(client, "/news/")
    settings.TIME_ZONE = "Asia/Dhaka"
    dhaka = timezone.localtime(story.published_at).strftime("%H:%M")
    assert f", {dhaka}</time>" in sidebar_html(client, "/news/")


def test_with_the_cache_away_the_fragment_is_rendered(client, monkeypatch):
    """Redis down: every page still has its latest news, read from the database, and the
    cache is left alone for a while instead of being asked again on every page."""
    make_story(headline="News without a cache")
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise ConnectionError("Redis refused the connection")

    monkeypatch.setattr(cache, "get", refuse)
    monkeypatch.setattr(entries, "_rest_until", 0.0)
    for _ in range(3):
        assert sidebar(client) == ["News without a cache"]
    assert len(calls) == 1


def test_related_stories_follow_the_stories_they_show(client, any_cache, commit):
    """A related story edited or unpublished changes the list at once; a story tagged like
    this one, published later, joins it when the list is made again (its lifetime ends),
    as does a scheduled one when its time comes: a publication does not purge the pages of
    every story sharing a tag."""
    editor = make_user("eddie", "Editor")
    story = make_story(tags=["Truce"])
    other = make_story(headline="Also about the truce", tags=["Truce"])
    make_story(headline="Truce at noon", tags=["Truce"], ago=-timedelta(minutes=30))
    assert related(client, story) == ["Also about the truce"]
    other.headline = "More on the truce"
    with commit():
        services.save_story(story=other, expected_version=other.version, user=editor)
    assert related(client, story) == ["More on the truce"]
    with commit():
        services.unpublish_story(story=other, user=editor)
    assert related(client, story) == []
    with commit():
        services.publish_story(story=Story.objects.get(pk=other.pk), user=editor)
    assert related(client, story) == []  # until the fragment's lifetime ends
    later = timezone.now() + timedelta(hours=1)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(timezone, "now", lambda: later)
        assert related(client, story) == ["Truce at noon", "More on the truce"]


def test_each_story_has_its_own_related_stories(client):
    """The fragment is kept per story: two stories never show each other's list."""
    first = make_story(headline="First", tags=["A"])
    second = make_story(headline="Second", tags=["B"])
    make_story(headline="Shares A", tags=["A"])
    make_story(headline="Shares B", tags=["B"])
    assert related(client, first) == ["Shares A"]
    assert related(client, second) == ["Shares B"]
    assert related(client, first) == ["Shares A"]
