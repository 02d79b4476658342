"""Public pages are cached, and every change readers could see makes them current at once."""

import os
import socket
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Story
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db

REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(REDIS) == 0


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request, settings):
    """The per-process cache, and Redis as several app servers share it."""
    if request.param == "redis":
        if not redis_answers():
            if os.environ.get("CI"):
                pytest.fail("Redis is not reachable at 127.0.0.1:6379")
            pytest.skip("Redis is not reachable at 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/15",
                "KEY_PREFIX": "newsroom-tests",
            }
        }
    cache.clear()
    yield request.param
    cache.clear()


def public_urls(story: Story) -> list[str]:
    return [
        "/",
        story.get_absolute_url(),
        "/tags/ceasefire/",
        "/places/baku/",
        "/feeds/rss/",
        "/feeds/atom/",
        "/tags/ceasefire/feed/rss/",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/api/ninjs/stories/",
    ]


def test_pages_carry_headers_for_shared_caches(client, demo_story):
    """s-maxage and stale-while-revalidate for a CDN, a short max-age, ETag, Last-Modified."""
    response = client.get(demo_story.get_absolute_url())
    control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=60", "s-maxage=300", "stale-while-revalidate=300"} <= control
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")


def test_conditional_requests_get_304(client, demo_story):
    """A browser revalidating with the ETag or the date gets 304 and no body."""
    url = demo_story.get_absolute_url()
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    since = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_a_cached_page_costs_no_query(client, demo_story, django_assert_num_queries):
    """The second reader of a page is served from the cache, without the database."""
    url = demo_story.get_absolute_url()
    client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def test_every_page_is_current_at_once_after_each_change(client, any_cache):
    """Publish, edit, unpublish, delete: each shows on every public path immediately."""
    editor = make_user("eddie", "Editor")
    make_story(headline="Old news", dateline_place="BAKU", tags=["Ceasefire"])
    story = make_story(
        headline="Truce signed", dateline_place="BAKU", tags=["Ceasefire"], status="draft"
    )
    story.published_at = None
    story.save()
    urls = public_urls(Story.objects.get(headline="Old news"))

    def shows(url: str) -> bool:
        body = client.get(url).content.decode()
        return "Truce signed" in body or f"/{story.slug}/" in body

    assert not any(shows(url) for url in urls)  # and now they are all cached

    services.publish_story(story=story, user=editor)
    urls.append(story.get_absolute_url())
    assert [url for url in urls if not shows(url)] == []

    story.headline = "Truce signed in Yevlakh"
    services.save_story(story=story, expected_version=story.version, user=editor)
    for url in urls:
        if url != "/sitemap.xml":  # the one place that lists addresses, not headlines
            assert "Truce signed in Yevlakh" in client.get(url).content.decode(), url

    services.unpublish_story(story=story, user=editor)
    assert [url for url in urls[:-1] if shows(url)] == []
    assert client.get(urls[-1]).status_code == 404

    services.publish_story(story=story, user=editor)
    assert shows("/")
    services.delete_stories(stories=[story])
    assert [url for url in urls[:-1] if shows(url)] == []


def test_a_scheduled_story_appears_by_itself_in_cached_pages(client, any_cache, monkeypatch):
    """No one touches anything: the first request after the time brings the story in."""
    editor = make_user("eddie", "Editor")
    story = make_story(headline="Embargoed until noon", status="draft", ago=None)
    services.schedule_story(story=story, user=editor, at=timezone.now() + timedelta(minutes=30))
    assert "Embargoed until noon" not in client.get("/").content.decode()
    later = timezone.now() + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "Embargoed until noon" in client.get("/").content.decode()


def test_admin_and_preview_are_never_cached_publicly(client):
    """Editors' pages are private: no shared cache ever keeps them."""
    editor = make_user("eddie", "Editor")
    client.force_login(editor)
    story = make_story(status="draft", ago=None)
    for url in (
        reverse("admin:articles_story_changelist"),
        reverse("admin:articles_story_change", args=[story.pk]),
        reverse("articles:preview", args=[story.pk]),
    ):
        control = client.get(url)["Cache-Control"]
        assert "private" in control or "no-store" in control, url
        assert "public" not in control and "s-maxage" not in control, url
