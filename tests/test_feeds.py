"""RSS and Atom feeds, read as a feed reader reads them."""

from datetime import timedelta

import feedparser
import pytest
from django.urls import reverse

from articles.models import Story
from tests.factories import make_story

pytestmark = pytest.mark.django_db

FEEDS = ["articles:feed_rss", "articles:feed_atom"]
TAG_FEEDS = ["articles:tag_feed_rss", "articles:tag_feed_atom"]


def read(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


@pytest.mark.parametrize("name", FEEDS)
def test_feeds_list_the_seed_story_with_its_fields(client, demo_story, name):
    """Link, id, date, tags, credit and summary of the story, in a well-formed feed."""
    parsed = read(client, reverse(name))
    (entry,) = parsed.entries
    url = "http://testserver" + demo_story.get_absolute_url()
    assert parsed.feed.title == "Newsroom: latest stories"
    assert entry.title == "Azerbaijan claims victory after Karabakh separatists surrender"
    assert entry.link == url
    assert entry.id == url
    assert entry.published_parsed[:5] == (2023, 9, 21, 3, 55)
    assert {tag.term for tag in entry.tags} == set(demo_story.tags.names())
    assert entry.author == "BSS/AFP"
    assert entry.summary.startswith("Azerbaijan said Wednesday it had regained control")


@pytest.mark.parametrize("name", TAG_FEEDS)
def test_tag_feeds_list_only_that_tags_stories(client, name):
    """A tag's feed has its public stories, newest first, and nothing else."""
    make_story(headline="Older Baku story", tags=["Baku"], ago=timedelta(days=2))
    make_story(headline="Newer Baku story", tags=["Baku"])
    make_story(headline="Lima story", tags=["Lima"])
    parsed = read(client, reverse(name, args=["baku"]))
    assert parsed.feed.title == "Newsroom: stories tagged Baku"
    assert [e.title for e in parsed.entries] == ["Newer Baku story", "Older Baku story"]


@pytest.mark.parametrize("name", TAG_FEEDS)
def test_tag_feed_of_a_draft_only_tag_is_404(client, name):
    """A tag used only by drafts has no feed, so the feed reveals nothing."""
    make_story(status=Story.Status.DRAFT, tags=["Embargo"])
    assert client.get(reverse(name, args=["embargo"])).status_code == 404
    assert client.get(reverse(name, args=["no-such-tag"])).status_code == 404


def test_every_page_announces_the_feeds(client, demo_story):
    """<link rel="alternate"> for RSS and Atom in every page's head; tag pages add theirs."""
    for url in ("/", demo_story.get_absolute_url(), "/places/baku/"):
        html = client.get(url).content.decode()
        assert '<link rel="alternate" type="application/rss+xml"' in html
        assert 'href="/feeds/atom/"' in html
    tag_page = client.get("/tags/armenia/").content.decode()
    assert 'href="/tags/armenia/feed/rss/"' in tag_page


@pytest.mark.parametrize("size", [1, 25])
def test_feeds_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, size):
    """Stories, their sections and their tags: three queries, whatever the number."""
    for n in range(size):
        make_story(tags=[f"Tag {n}", "Shared"])
    for name in FEEDS:
        with django_assert_max_num_queries(3):
            parsed = read(client, reverse(name))
        assert len(parsed.entries) == min(size, 20)
    with django_assert_max_num_queries(5):
        parsed = read(client, reverse("articles:tag_feed_rss", args=["shared"]))
    assert len(parsed.entries) == min(size, 20)
