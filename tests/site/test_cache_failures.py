"""The page cache under trouble: responses not for sharing, a change while a page renders,
a cache that is away; and the sidebar's include, put in by Varnish or by Django."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from articles import services
from articles.models import Story
from articles.site import caching, entries
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db

ESI = 'varnish="ESI/1.0"'


def refuse(*args, **kwargs):
    raise ConnectionError("Redis refused the connection")


def test_a_response_setting_a_cookie_is_not_kept(demo_story):
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
        key = caching._page_key(request, caching.page_query(request))
        assert entries.recent_pages.get(key) is None and cache.get(key) is None, view


def test_a_page_rendered_while_a_change_commits_is_not_kept(demo_story):
    """The change's purge came between the page's reads and its storing: the page may show
    what was there before, so it is served once and not kept."""
    url = demo_story.get_absolute_url()

    def view(request):
        caching.shows(request, "story-1")
        caching.purge({"story-1"})  # another process's commit, mid-render
        return HttpResponse("maybe out of date")

    request = RequestFactory().get(url)
    middleware = caching.PageCacheMiddleware(caching.cached_page(view))
    response = middleware(request)
    assert response.content == b"maybe out of date"
    key = caching._page_key(request, caching.page_query(request))
    assert entries.recent_pages.get(key) is None and cache.get(key) is None
    # Nor may a shared cache keep it: Varnish was purged while it rendered.
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_a_purge_mark_lost_mid_render_keeps_the_page_out(demo_story):
    """A purge, then the cache evicts its mark: the page rendered across them is not kept
    (a missing mark is never taken for the one read before)."""
    url = demo_story.get_absolute_url()

    def view(request):
        caching.shows(request, "story-1")
        caching.purge({"story-1"})
        cache.delete(entries.PURGE_MARK)  # evicted (the file cache culls at random)
        return HttpResponse("maybe out of date")

    request = RequestFactory().get(url)
    caching.PageCacheMiddleware(caching.cached_page(view))(request)
    key = caching._page_key(request, caching.page_query(request))
    assert entries.recent_pages.get(key) is None and cache.get(key) is None


def test_varnish_gets_pages_checked_against_versions_read_now(
    client, demo_story, settings, monkeypatch
):
    """What Varnish fetches it keeps for minutes: no versions trusted from a moment ago."""
    monkeypatch.setattr(entries, "VERSIONS_TRUSTED_SECONDS", 60)
    settings.VARNISH_PURGE_URLS = ["http://127.0.0.1:6081/"]
    url = demo_story.get_absolute_url()
    client.get(url)  # the page and its sidebar, kept
    assert client.get(url, HTTP_SURROGATE_CAPABILITY=ESI).has_header("Age")
    cache.set(f"key:story-{demo_story.pk}", "purged by another process")
    assert client.get(url).has_header("Age")  # a reader's request: trusted a moment longer
    assert not client.get(url, HTTP_SURROGATE_CAPABILITY=ESI).has_header("Age")


def test_a_change_while_the_cache_is_away_is_made_when_it_returns(client, monkeypatch, commit):
    """An editor's publish does not fail because Redis is away; the purge is owed and made
    by the next request that reaches the cache."""
    editor = make_user("eddie", "Editor")
    story = make_story(headline="Quiet news", status="draft", ago=None)
    client.get("/")  # cached without the story
    with monkeypatch.context() as patched:
        patched.setattr(cache, "set", refuse)
        with commit():
            services.publish_story(story=story, user=editor)  # no error for the editor
    assert Story.objects.get(pk=story.pk).is_public
    assert "Quiet news" in client.get("/").content.decode()


def test_a_failing_cache_is_left_alone_for_a_few_seconds(client, demo_story, monkeypatch):
    """A hung Redis costs one timeout, then readers are served uncached without waiting on
    it again until the rest is over."""
    calls = []

    def hang(*args, **kwargs):
        calls.append(args)
        raise TimeoutError("Redis did not answer")

    monkeypatch.setattr(cache, "get_many", hang)
    monkeypatch.setattr(entries, "_rest_until", 0.0)
    for _ in range(3):
        response = client.get(demo_story.get_absolute_url())
        assert response.status_code == 200 and demo_story.headline in response.content.decode()
    assert len(calls) == 1
    monkeypatch.setattr(entries, "_rest_until", 0.0)  # the rest is over
    client.get(demo_story.get_absolute_url())
    assert len(calls) == 2


def test_pages_are_served_uncached_while_the_cache_is_away(client, demo_story, monkeypatch):
    """Redis down at 3 a.m.: readers still get whole pages, sidebar and all, straight from
    the database; /healthz is what reports the cache."""
    monkeypatch.setattr(cache, "get_many", refuse)
    monkeypatch.setattr(cache, "get", refuse)
    response = client.get(demo_story.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert demo_story.headline in html and 'class="latest-news"' in html
    assert "<esi:include" not in html


def test_varnish_gets_the_include_and_puts_in_the_sidebar_itself(client, demo_story, settings):
    """Asked by a Varnish of ours, a page keeps its include and says so; the page's keys
    are its own (the sidebar's are the fragment's)."""
    settings.VARNISH_PURGE_URLS = ["http://127.0.0.1:6081/"]
    url = demo_story.get_absolute_url()
    for _ in range(2):  # a miss, then a hit
        response = client.get(url, HTTP_SURROGATE_CAPABILITY=ESI)
        html = response.content.decode()
        assert '<esi:include src="/fragments/latest-news/"/>' in html
        assert 'class="latest-news"' not in html
        assert response["Surrogate-Control"] == 'content="ESI/1.0"'
        assert "latest" not in response["Surrogate-Key"].split()
    assert 'class="latest-news"' in client.get(url).content.decode()


def test_the_include_is_put_in_for_anyone_else(client, demo_story, settings):
    """No Varnish configured: a reader sending the header still gets the whole page."""
    settings.VARNISH_PURGE_URLS = []
    html = client.get(demo_story.get_absolute_url(), HTTP_SURROGATE_CAPABILITY=ESI)
    assert 'class="latest-news"' in html.content.decode()
    assert "<esi:include" not in html.content.decode()
    assert not html.has_header("Surrogate-Control")


def test_a_page_with_its_sidebar_put_in_says_its_whole_length(client, demo_story):
    """Content-Length is set inside (CommonMiddleware) before the include is put in: it
    must count what is sent, on a miss and on a hit, or clients cut the page short."""
    for _ in range(2):
        response = client.get(demo_story.get_absolute_url())
        assert 'class="latest-news"' in response.content.decode()
        assert response["Content-Length"] == str(len(response.content))
