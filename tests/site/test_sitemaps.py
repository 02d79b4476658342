"""Sitemaps for search engines and the Google News sitemap: well-formed, public only."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Story
from tests.factories import make_story

pytestmark = pytest.mark.django_db

NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
BASE = "http://testserver"

HIDDEN = {
    "draft": {"status": Story.Status.DRAFT},
    "scheduled": {"ago": -timedelta(hours=1)},
    "published without a time": {"ago": None},
}


def locations(client, name) -> tuple[list[str], ElementTree.Element]:
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    return [loc.text for loc in root.findall("s:url/s:loc", NS)], root


def test_sitemap_lists_stories_tags_and_places(client, demo_story):
    """The story, each of its tags and its place, with the story's lastmod."""
    urls, root = locations(client, "sitemap")
    assert sorted(urls) == sorted(
        [
            BASE + demo_story.get_absolute_url(),
            *(BASE + reverse("articles:tag", args=[tag.slug]) for tag in demo_story.tags.all()),
            BASE + reverse("articles:place", args=["baku"]),
        ]
    )
    assert BASE + "/tags/nagorno-karabakh/" in urls
    assert BASE + "/places/baku/" in urls
    story = root.find(f"s:url[s:loc='{BASE + demo_story.get_absolute_url()}']", NS)
    lastmod = max(demo_story.updated_at, demo_story.published_at)
    assert story.find("s:lastmod", NS).text == timezone.localtime(lastmod).date().isoformat()


def test_news_sitemap_has_the_last_48_hours(client):
    """Recent stories with publication name, language, date and title; older ones not."""
    fresh = make_story(headline="Fresh & <breaking> story", ago=timedelta(hours=3))
    make_story(headline="Edge story", ago=timedelta(hours=47))
    make_story(headline="Old story", ago=timedelta(hours=49))
    make_story(headline="Older story", ago=timedelta(days=30))
    urls, root = locations(client, "news_sitemap")
    assert len(urls) == 2
    assert urls[0] == BASE + fresh.get_absolute_url()
    news = root.find("s:url/news:news", NS)
    assert news.find("news:publication/news:name", NS).text == "Newsroom"
    assert news.find("news:publication/news:language", NS).text == "en"
    assert news.find("news:title", NS).text == "Fresh & <breaking> story"
    assert (
        news.find("news:publication_date", NS).text
        == fresh.published_at.replace(microsecond=0).isoformat()
    )
    titles = [t.text for t in root.findall("s:url/news:news/news:title", NS)]
    assert titles == ["Fresh & <breaking> story", "Edge story"]


def test_news_sitemap_uses_the_site_name(client, settings):
    """The publication's name comes from SITE_NAME, escaped like every other text."""
    settings.SITE_NAME = "Daily <Wire> & Post"
    make_story()
    _, root = locations(client, "news_sitemap")
    name = root.find("s:url/news:news/news:publication/news:name", NS)
    assert name.text == "Daily <Wire> & Post"


def test_news_sitemap_is_empty_but_well_formed_without_recent_stories(client):
    """No story in the last 48 hours: an empty urlset, still valid XML."""
    make_story(ago=timedelta(days=3))
    urls, root = locations(client, "news_sitemap")
    assert urls == []
    assert root.tag == f"{{{NS['s']}}}urlset"


@pytest.mark.parametrize("name", ["sitemap", "news_sitemap"])
def test_hidden_stories_are_in_no_sitemap(client, name):
    """Drafts, scheduled stories and published ones without a time are left out."""
    public = make_story(headline="Public story", tags=["Ceasefire"], dateline_place="BAKU")
    hidden = [
        make_story(
            headline=f"Embargoed story, {state}",
            tags=["Ceasefire", f"Embargo {n}"],
            dateline_place=f"ATLANTIS {n}",
            **fields,
        )
        for n, (state, fields) in enumerate(HIDDEN.items())
    ]
    response = client.get(reverse(name))
    urls, _ = locations(client, name)
    assert BASE + public.get_absolute_url() in urls
    for story in hidden:
        assert f"/{story.slug}/".encode() not in response.content
    assert b"Embargo" not in response.content
    assert b"embargo" not in response.content
    assert b"atlantis" not in response.content


@pytest.mark.parametrize("state", HIDDEN)
def test_sitemap_leaves_out_tags_and_places_only_hidden_stories_use(client, state):
    """A tag or place that only drafts or scheduled stories use is in no sitemap."""
    make_story(tags=["Public"], dateline_place="LIMA")
    make_story(tags=["Embargo"], dateline_place="ATLANTIS", **HIDDEN[state])
    urls, _ = locations(client, "sitemap")
    assert BASE + "/tags/public/" in urls
    assert BASE + "/places/lima/" in urls
    assert not any("embargo" in u or "atlantis" in u for u in urls)


@pytest.mark.parametrize("size", [1, 25])
def test_sitemaps_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, size):
    """Stories and tags (a count and a page each), places: five queries, however many (and
    when the next scheduled story is due, read once for the cached responses' lifetime)."""
    for n in range(size):
        make_story(tags=[f"Tag {n}"], dateline_place=f"PLACE {n}", ago=timedelta(hours=n + 1))
    with django_assert_max_num_queries(6):
        urls, _ = locations(client, "sitemap")
    assert len(urls) == 3 * size
    with django_assert_max_num_queries(1):
        urls, _ = locations(client, "news_sitemap")
    assert len(urls) == size
