"""Public pages are cached, and every change readers could see makes them current at once."""

import os
import socket
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from articles import caching, services
from articles.cache_tracking import RedisCache
from articles.models import Story
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db

REDIS = ("127.0.0.1", 6379)
REDIS_URL = "redis://127.0.0.1:6379/15"


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
                "BACKEND": "articles.cache_tracking.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": "newsroom-tests",
            }
        }
    cache.clear()
    caching.recent_pages.clear()
    yield request.param
    cache.clear()


def wait_for(condition, seconds: float = 5.0) -> bool:
    """Poll until ``condition()`` holds (a message crossing the network), or give up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


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


def test_a_hit_is_answered_before_sessions_and_auth(client, demo_story, monkeypatch):
    """The cached page is answered by the page cache middleware: no view, no inner
    middleware, and still every header the first reader got, security headers included."""
    url = demo_story.get_absolute_url()
    first = client.get(url)
    called = []
    monkeypatch.setattr(
        "django.contrib.sessions.middleware.SessionMiddleware.process_request",
        lambda self, request: called.append(request.path),
    )
    again = client.get(url)
    assert called == []
    assert again.content == first.content
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "ETag",
        "Last-Modified",
        "Cache-Control",
    ):
        assert again[header] == first[header], header


def test_a_response_setting_a_cookie_is_not_kept(client, demo_story, monkeypatch):
    """Anything personal (a cookie) is never stored for the next reader."""
    url = demo_story.get_absolute_url()
    real = caching.cached_page(lambda request: HttpResponse("hello"))

    def with_cookie(request):
        response = real(request)
        response.set_cookie("who", "eddie")
        return response

    request = RequestFactory().get(url)
    middleware = caching.PageCacheMiddleware(with_cookie)
    assert middleware(request).cookies["who"].value == "eddie"
    assert caching.recent_pages.get(caching._page_key(request, caching._state()[0])) is None


def test_a_flushed_cache_never_serves_pages_of_before(client, demo_story):
    """After Redis restarts empty, the generation starts from a number never used, so a
    page a process still remembers from before cannot be taken for a current one."""
    url = demo_story.get_absolute_url()
    client.get(url)
    before = caching._state()[0]
    cache.clear()
    assert caching._state()[0] != before


@pytest.mark.skipif(not redis_answers() and not os.environ.get("CI"), reason="needs Redis")
def test_another_server_forgets_the_state_the_moment_it_changes(any_cache):
    """Each app server remembers the content state and Redis tells it when it changes:
    a second server (its own connection and tracker) sees an edit made on the first."""
    if any_cache != "redis":
        pytest.skip("tracking is what the shared Redis cache does")
    other = RedisCache(REDIS_URL, {"KEY_PREFIX": "newsroom-tests"})
    tracker = other.tracker(caching.STATE_PREFIX)
    assert wait_for(lambda: tracker.live)
    caching._state()  # the first server makes the state
    keys = [caching.GENERATION, caching.CHANGED_AT]

    def read_and_remember():  # as _state() does, until the messages of the write are in
        epoch = tracker.epoch
        values = other.get_many(keys)
        tracker.remember(values, epoch)
        return tracker.remembered() == values and (epoch, values)

    assert wait_for(read_and_remember)
    epoch, values = read_and_remember()

    caching.invalidate()  # on the first server

    assert wait_for(lambda: tracker.remembered() is None)
    assert other.get(caching.GENERATION) == caching._state()[0] != values[caching.GENERATION]
    tracker.remember(values, epoch)  # a read from before the change is refused
    assert tracker.remembered() is None
    tracker.stop()


def test_pages_are_served_uncached_while_the_cache_is_away(client, demo_story, monkeypatch):
    """Redis down at 3 a.m.: readers still get pages, straight from the database, and no
    shared cache is told to keep them; /healthz is what reports the cache."""

    def refuse(*args, **kwargs):
        raise ConnectionError("Redis refused the connection")

    monkeypatch.setattr(cache, "get_many", refuse)
    monkeypatch.setattr(cache, "get", refuse)
    response = client.get(demo_story.get_absolute_url())
    assert response.status_code == 200
    assert demo_story.headline in response.content.decode()
    assert "s-maxage" not in response.get("Cache-Control", "")
