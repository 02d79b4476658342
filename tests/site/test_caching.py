"""Public pages are cached under the surrogate keys of what they show, and a change purges
exactly the pages showing what it changed, once it commits."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles import services
from articles.models import Story
from articles.site import caching, entries
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db


def keys_of(response) -> set[str]:
    return set(response["Surrogate-Key"].split())


def is_hit(client, url: str) -> bool:
    """Whether Django's cache answered: its hits, and only they, carry ``Age``."""
    return client.get(url).has_header("Age")


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
        "/search/?q=truce",
    ]


def test_pages_carry_headers_for_shared_caches(client, demo_story):
    """s-maxage and stale-while-revalidate for Varnish or a CDN, a short max-age, an ETag,
    and the keys of what the page shows."""
    response = client.get(demo_story.get_absolute_url())
    control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=60", "s-maxage=300", "stale-while-revalidate=300"} <= control
    assert response["ETag"].startswith('"')
    tags = {f"tag-{tag.pk}" for tag in demo_story.tags.all()}
    assert tags and {f"story-{demo_story.pk}", "all", *tags} <= keys_of(response)
    assert "latest" in keys_of(response)  # the sidebar's, put in by Django: see test_esi


def test_each_public_response_names_what_it_shows(client):
    """Lists name their stories and their list; search, feeds, sitemaps and the API too."""
    story = make_story(headline="Truce signed", dateline_place="BAKU", tags=["Ceasefire"])
    tag = Tag.objects.get(name="Ceasefire")
    own = {f"story-{story.pk}", "all"}
    expected = {
        "/": own | {"latest", f"tag-{tag.pk}"},
        "/tags/ceasefire/": own | {f"tag-{tag.pk}", f"tag-{tag.pk}-stories"},
        "/places/baku/": own | {"place-baku"},
        "/feeds/atom/": own | {"latest"},
        "/tags/ceasefire/feed/rss/": own | {f"tag-{tag.pk}-stories"},
        "/sitemap.xml": {"sitemap", "all"},
        "/news-sitemap.xml": {"sitemap", "all"},
        "/api/ninjs/stories/": own | {"latest"},
        f"/api/ninjs/stories/{story.pk}/": own | {f"tag-{tag.pk}"},
        "/search/?q=truce": own | {"search"},
        "/fragments/latest-news/": own | {"latest"},
    }
    for url, keys in expected.items():
        assert keys <= keys_of(client.get(url)), url


def test_a_cached_page_costs_no_query_and_says_its_age(
    client, demo_story, django_assert_num_queries
):
    """The second reader of a page is served from the cache, without the database."""
    url = demo_story.get_absolute_url()
    first = client.get(url)
    assert not first.has_header("Age")
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again["Age"] == "0" and again.content == first.content


def test_every_page_is_current_at_once_after_each_change(client, any_cache, commit):
    """Publish, edit, unpublish, delete: each shows on every public path once committed."""
    editor = make_user("eddie", "Editor")
    make_story(headline="Old news", dateline_place="BAKU", tags=["Ceasefire"])
    story = make_story(
        headline="Truce signed", dateline_place="BAKU", tags=["Ceasefire"], status="draft"
    )
    urls = public_urls(Story.objects.get(headline="Old news"))

    def shows(url: str) -> bool:
        body = client.get(url).content.decode()
        return "Truce signed" in body or f"/{story.slug}/" in body

    assert not any(shows(url) for url in urls)  # and now they are all cached

    with commit():
        services.publish_story(story=story, user=editor)
    urls.append(story.get_absolute_url())
    assert [url for url in urls if not shows(url)] == []

    story.headline = "Truce signed in Yevlakh"
    with commit():
        services.save_story(story=story, expected_version=story.version, user=editor)
    for url in urls:
        if "sitemap" not in url:  # sitemaps list addresses, not headlines
            assert "Truce signed in Yevlakh" in client.get(url).content.decode(), url

    with commit():
        services.unpublish_story(story=story, user=editor)
    assert [url for url in urls[:-1] if shows(url)] == []
    assert client.get(urls[-1]).status_code == 404

    with commit():
        services.publish_story(story=story, user=editor)
    assert shows("/")
    with commit():
        services.delete_stories(stories=[story], user=editor)
    assert [url for url in urls[:-1] if shows(url)] == []


def test_an_edit_purges_the_pages_showing_the_story_and_no_other(client, any_cache, commit):
    """Another story's page, its tag and place pages stay cached; the edited story's page
    and the lists showing it are made again."""
    editor = make_user("eddie", "Editor")
    other = make_story(headline="Floods", dateline_place="DHAKA", tags=["Weather"])
    story = make_story(headline="Truce signed", dateline_place="BAKU", tags=["Ceasefire"])
    unrelated = [other.get_absolute_url(), "/tags/weather/", "/places/dhaka/"]
    showing = [story.get_absolute_url(), "/", "/tags/ceasefire/", "/places/baku/"]
    for url in unrelated + showing:
        client.get(url)
    story.headline = "Truce holds"
    with commit():
        services.save_story(story=story, expected_version=story.version, user=editor)
    assert [url for url in unrelated if not is_hit(client, url)] == []
    for url in showing:
        response = client.get(url)
        assert not response.has_header("Age") and "Truce holds" in response.content.decode()


def test_a_new_story_purges_the_lists_and_the_sidebar_not_the_story_pages(
    client, any_cache, commit
):
    """The sidebar is an include: a cached story page stays a hit, with the new story in
    its sidebar, put in from the fragment's own entry."""
    editor = make_user("eddie", "Editor")
    story = make_story(headline="Truce signed", tags=["Ceasefire"])
    url = story.get_absolute_url()
    client.get(url)
    client.get("/")
    draft = make_story(headline="Breaking news", tags=["Weather"], status="draft", ago=None)
    with commit():
        services.publish_story(story=draft, user=editor)
    page = client.get(url)
    assert page.has_header("Age"), "the story page was purged"
    sidebar = page.content.decode().split('class="latest-news"')[1]
    assert "Breaking news" in sidebar
    assert not is_hit(client, "/")


def test_a_save_in_a_shell_purges_and_update_does_not(client, demo_story, commit):
    """``story.save()`` anywhere (``manage.py shell``) is a change like the desk's; a
    ``QuerySet.update()`` sends no signal, as documented, until ``purge_pages``."""
    url = demo_story.get_absolute_url()
    client.get(url)
    with commit():
        demo_story.headline = "Saved in a shell"
        demo_story.save()
    assert "Saved in a shell" in client.get(url).content.decode()
    with commit():
        Story.objects.filter(pk=demo_story.pk).update(headline="Updated behind its back")
    assert "Saved in a shell" in client.get(url).content.decode()
    with commit():
        call_command("purge_pages", f"story-{demo_story.pk}", verbosity=0)
    assert "Updated behind its back" in client.get(url).content.decode()


def test_a_draft_edit_purges_nothing(client, demo_story, commit):
    draft = make_story(headline="Not yet", status="draft", ago=None)
    url = demo_story.get_absolute_url()
    client.get(url)
    client.get("/")
    with commit():
        draft.headline = "Still not yet"
        draft.save()
    assert is_hit(client, url) and is_hit(client, "/")


def test_loaddata_purges_the_lists(client, db, commit):
    """Stories loaded from a fixture appear at once, like any other change."""
    client.get("/")
    with commit():
        call_command("loaddata", "fixtures/demo.json", verbosity=0)
    assert Story.objects.get().headline in client.get("/").content.decode()


def test_a_renamed_tag_is_current_on_every_page_showing_it(client, any_cache, commit):
    editor = make_user("eddie", "Editor")
    story = make_story(headline="Truce signed", tags=["Ceasefire"])
    client.get(story.get_absolute_url())
    tag = Tag.objects.get(name="Ceasefire")
    tag.name = "Armistice"
    with commit():
        services.save_tag(tag=tag, user=editor)
    assert "Armistice" in client.get(story.get_absolute_url()).content.decode()


def test_purge_everything_on_request(client, demo_story, settings, commit):
    """``PAGE_CACHE_PURGE=everything``: every change purges every page (for comparison)."""
    settings.PAGE_CACHE_PURGE = "everything"
    other = make_story(headline="Floods", tags=["Weather"])
    client.get(other.get_absolute_url())
    with commit():
        demo_story.headline = "Edited"
        demo_story.save()
    assert not is_hit(client, other.get_absolute_url())


def test_a_scheduled_story_appears_by_itself_in_cached_pages(
    client, any_cache, monkeypatch, commit
):
    """No one touches anything: cached pages live no longer than until its time."""
    editor = make_user("eddie", "Editor")
    make_story(headline="Older news")
    story = make_story(headline="Embargoed until noon", status="draft", ago=None)
    with commit():
        services.schedule_story(
            story=story, user=editor, at=timezone.now() + timedelta(minutes=30)
        )
    assert "Embargoed until noon" not in client.get("/").content.decode()
    later = timezone.now() + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "Embargoed until noon" in client.get("/").content.decode()


def test_a_story_out_while_a_page_renders_leaves_it_a_second(demo_story, monkeypatch):
    """The page began before the story's time and ended after it: it may lack the story."""
    now = timezone.now()
    make_story(headline="Soon", ago=-timedelta(minutes=10))
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=11))
    assert caching.cache_seconds(since=now) == 1
    assert caching.cache_seconds() == 300  # rendered after it: nothing else scheduled


def test_loaddata_replacing_a_public_story_with_a_draft_purges_it(
    client, demo_story, commit, tmp_path
):
    """A fixture's row says nothing of the story before it: it may have been public."""
    from django.core import serializers

    url = demo_story.get_absolute_url()
    assert client.get(url).status_code == 200
    demo_story.status = Story.Status.DRAFT
    data = serializers.serialize("json", [demo_story])
    path = tmp_path / "draft.json"
    path.write_text(data)
    with commit():
        call_command("loaddata", str(path), verbosity=0)
    assert client.get(url).status_code == 404


def test_a_page_lives_no_longer_than_until_the_next_scheduled_story(client, settings):
    settings.PAGE_CACHE_SECONDS = 3600
    make_story(headline="Now")
    make_story(headline="Soon", ago=-timedelta(minutes=10))
    control = client.get("/")["Cache-Control"]
    seconds = int(control.split("s-maxage=")[1].split(",")[0])
    assert 590 <= seconds <= 600


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
        response = client.get(url)
        control = response["Cache-Control"]
        assert "private" in control or "no-store" in control, url
        assert "public" not in control and "s-maxage" not in control, url
        assert not response.has_header("Surrogate-Key"), url


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
        "Cache-Control",
        "Surrogate-Key",
    ):
        assert again[header] == first[header], header


def test_a_lost_key_version_makes_a_miss_not_a_stale_page(client, demo_story):
    """A cache that evicted a key's version (or restarted empty) can only cost a render."""
    url = demo_story.get_absolute_url()
    client.get(url)
    cache.delete(f"key:story-{demo_story.pk}")
    caching.forget()
    assert not is_hit(client, url)
    assert is_hit(client, url)


def test_a_hit_checks_its_page_and_its_sidebar_in_one_read(client, demo_story, monkeypatch):
    """Both entries in this process's memory: one read of their keys' versions, no more;
    none at all while the versions read last are trusted (a tenth of a second)."""
    url = demo_story.get_absolute_url()
    client.get(url)
    client.get(url)
    reads = []
    real = cache.get_many

    def counted(keys, *args, **kwargs):
        reads.append(list(keys))
        return real(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", counted)
    assert is_hit(client, url) and reads == []  # trusted: read a moment ago
    monkeypatch.setattr(entries, "VERSIONS_TRUSTED_SECONDS", 0)
    response = client.get(url)
    assert response.has_header("Age") and 'class="latest-news"' in response.content.decode()
    assert len(reads) == 1 and "key:latest" in reads[0]


def test_another_process_purge_reaches_this_one_within_the_trusted_time(
    client, demo_story, monkeypatch
):
    """This process's own purges count at once; one made elsewhere (the versions changed in
    the shared cache, not here) once the versions read last are no longer trusted."""
    monkeypatch.setattr(entries, "VERSIONS_TRUSTED_SECONDS", 0.05)
    url = demo_story.get_absolute_url()
    client.get(url)
    assert is_hit(client, url)
    cache.set(f"key:story-{demo_story.pk}", "purged elsewhere")
    assert is_hit(client, url)  # still trusted
    time.sleep(0.06)
    assert not is_hit(client, url)
