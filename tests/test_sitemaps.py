"""Sitemaps for search engines and the Google News sitemap: well-formed, public only."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from tests.factories import make_story

pytestmark = pytest.mark.django_db

NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def locations(client, name) -> tuple[list[str], ElementTree.Element]:
    response = client.get(reverse(name))
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    return [loc.text for loc in root.findall("s:url/s:loc", NS)], root


def test_sitemap_lists_stories_tags_and_places(client, demo_story):
    """The story, each of its tags and its place, with the story's lastmod."""
    urls, root = locations(client, "sitemap")
    base = "http://testserver"
    assert base + demo_story.get_absolute_url() in urls
    assert base + "/tags/nagorno-karabakh/" in urls
    assert base + "/places/baku/" in urls
    lastmods = [node.text for node in root.findall("s:url/s:lastmod", NS)]
    assert "2023-09-21" in lastmods


def test_news_sitemap_has_the_last_48_hours(client):
    """Recent stories with publication name, language, date and title; older ones not."""
    fresh = make_story(headline="Fresh & <breaking> story", ago=timedelta(hours=3))
    make_story(headline="Old story", ago=timedelta(days=3))
    urls, root = locations(client, "news_sitemap")
    assert urls == ["http://testserver" + fresh.get_absolute_url()]
    news = root.find("s:url/news:news", NS)
    assert news.find("news:publication/news:name", NS).text == "Newsroom"
    assert news.find("news:publication/news:language", NS).text == "en"
    assert news.find("news:title", NS).text == "Fresh & <breaking> story"
    assert news.find("news:publication_date", NS).text.startswith(
        fresh.published_at.strftime("%Y-%m-%dT%H:%M")
    )


def test_sitemaps_leave_out_tags_and_places_of_drafts(client):
    """A tag or place only drafts use is in no sitemap."""
    make_story(status="draft", tags=["Embargo"], dateline_place="ATLANTIS")
    urls, _ = locations(client, "sitemap")
    assert not any("embargo" in u or "atlantis" in u for u in urls)


@pytest.mark.parametrize("size", [1, 25])
def test_sitemaps_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, size):
    """Stories, tags, places: a query each (plus paging), however many there are."""
    for n in range(size):
        make_story(tags=[f"Tag {n}"], dateline_place=f"PLACE {n}")
    with django_assert_max_num_queries(6):
        urls, _ = locations(client, "sitemap")
    assert len(urls) == 3 * size
    with django_assert_max_num_queries(1):
        urls, _ = locations(client, "news_sitemap")
    assert len(urls) == size
