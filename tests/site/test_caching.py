"""Public pages are cached, and every change readers could see makes them current at once."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Story
from articles.site import caching
from articles.site.cache_tracking import RedisCache
from tests.factories import make_story, make_user
from tests.site.conftest import REDIS_URL

pytestmark = pytest.mark.django_db


def redis_admin():
    import redis

    return redis.Redis.from_url(REDIS_URL)


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
    services.delete_stories(stories=[story], user=editor)
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


def test_a_response_setting_a_cookie_is_not_kept(client, demo_story):
    """Anything personal (a cookie) or private is never stored for the next reader."""
    url = demo_story.get_absolute_url()

    def with_cookie(request):
        response = HttpResponse("hello")
        response.set_cookie("who", "eddie")
        return response

    def private(request):
        response = HttpResponse("yours only")
        response["Cache-Control"] = "private"
        return response

    def varies(request):
        response = HttpResponse("depends")
        response["Vary"] = "Cookie"
        return response

    for view in (with_cookie, private, varies):
        request = RequestFactory().get(url)
        middleware = caching.PageCacheMiddleware(caching.cached_page(view))
        assert middleware(request).status_code == 200
        key = caching._page_key(request, request.content_state[0], caching.page_query(request))
        assert caching.recent_pages.get(key) is None and cache.get(key) is None, view


def test_a_flushed_cache_never_serves_pages_of_before(client, demo_story):
    """After Redis restarts empty, the next state has a token never used before, so a page
    a process still remembers from before cannot be taken for a current one."""
    url = demo_story.get_absolute_url()
    client.get(url)
    before = caching._state()[0]
    cache.clear()
    assert caching._state()[0] != before


def test_every_change_makes_a_token_never_used_before(demo_story):
    """Not a counter: a Redis that comes back from an old snapshot holds an old token, and
    no later change can make that token current again."""
    tokens = set()
    for _ in range(50):
        caching.invalidate()
        tokens.add(caching._state()[0])
    assert len(tokens) == 50


def test_a_change_while_the_cache_is_away_is_made_when_it_returns(client, monkeypatch):
    """An editor's publish does not fail because Redis is away; the invalidation is owed
    and made by the next request that reaches the cache."""
    editor = make_user("eddie", "Editor")
    story = make_story(headline="Quiet news", status="draft", ago=None)
    client.get("/")  # cached without the story

    def refuse(*args, **kwargs):
        raise ConnectionError("Redis refused the connection")

    with monkeypatch.context() as patched:
        patched.setattr(cache, "set", refuse)
        services.publish_story(story=story, user=editor)  # no error for the editor
    assert Story.objects.get(pk=story.pk).is_public
    assert "Quiet news" in client.get("/").content.decode()


def test_a_failing_cache_is_left_alone_for_a_few_seconds(client, demo_story, monkeypatch):
    """A hung Redis costs one timeout, then readers are served uncached without waiting on
    it again until the rest is over."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise TimeoutError("Redis did not answer")

    monkeypatch.setattr(cache, "get", refuse)
    monkeypatch.setattr(caching, "_rest_until", 0.0)
    for _ in range(3):
        response = client.get(demo_story.get_absolute_url())
        assert response.status_code == 200 and demo_story.headline in response.content.decode()
    assert len(calls) == 1
    monkeypatch.setattr(caching, "_rest_until", 0.0)  # the rest is over
    client.get(demo_story.get_absolute_url())
    assert len(calls) == 2


def test_another_server_forgets_the_state_the_moment_it_changes(redis_cache):
    """Each app server remembers the content state and Redis tells it when it changes:
    a second server (its own cache and tracker) sees a change made on the first."""
    tracker = cache.tracker(caching.STATE)
    assert wait_for(lambda: tracker.live)
    first = caching._state()

    def this_server_remembers():
        caching._state()
        return tracker.remembered() is not None

    assert wait_for(this_server_remembers)
    other = RedisCache(REDIS_URL, {"KEY_PREFIX": "newsroom-tests"})

    other.set(caching.STATE, ("changed-elsewhere", timezone.now(), None), None)

    assert wait_for(lambda: tracker.remembered() is None)
    assert caching._state()[0] == "changed-elsewhere" != first[0]


def test_a_state_read_before_a_change_is_not_kept_after_it(redis_cache):
    """The reader's epoch: what was read before a reported change is refused."""
    tracker = cache.tracker(caching.STATE)
    assert wait_for(lambda: tracker.live)
    epoch = tracker.epoch
    old = cache.get(caching.STATE)
    caching.invalidate()
    tracker.remember(old, epoch)
    assert tracker.remembered() is None


@pytest.mark.parametrize("which", ["listener", "tracking"])
def test_a_lost_tracking_connection_stops_remembering_and_makes_a_new_state(redis_cache, which):
    """If either connection is cut, nothing is remembered (every request reads Redis);
    back, the tracker deletes the state, so whatever Redis holds now, a new one is made."""
    tracker = cache.tracker(caching.STATE)
    assert wait_for(lambda: tracker.live)
    caching._state()
    before = cache.get(caching.STATE)
    client_id = dict(zip(["listener", "tracking"], tracker.client_ids, strict=True))[which]

    redis_admin().client_kill_filter(_id=client_id)

    assert wait_for(lambda: not tracker.live and tracker.remembered() is None)
    assert wait_for(lambda: tracker.live)  # reconnected
    assert wait_for(lambda: cache.get(caching.STATE) is None)
    assert caching._state()[0] != before[0]


def test_the_tracker_stops_cleanly(redis_cache):
    tracker = cache.tracker(caching.STATE)
    assert wait_for(lambda: tracker.live)
    tracker.stop()
    assert not tracker._thread.is_alive() and tracker.remembered() is None


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
