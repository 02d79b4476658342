"""RSS and Atom feeds, read as a feed reader reads them."""

from datetime import timedelta
from html.parser import HTMLParser

import feedparser
import pytest
from django.urls import reverse

from articles.models import Story
from tests.factories import make_story

pytestmark = pytest.mark.django_db

FEEDS = ["articles:feed_rss", "articles:feed_atom"]
TAG_FEEDS = ["articles:tag_feed_rss", "articles:tag_feed_atom"]

HIDDEN = {
    "draft": {"status": Story.Status.DRAFT},
    "scheduled": {"ago": -timedelta(hours=1)},
    "published without a time": {"ago": None},
}


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
    assert parsed.feed.link == "http://testserver/"
    assert entry.title == "Azerbaijan claims victory after Karabakh separatists surrender"
    assert entry.link == url
    assert entry.id == url
    assert entry.published_parsed[:5] == (2023, 9, 21, 3, 55)
    assert {tag.term for tag in entry.tags} == {
        "Azerbaijan",
        "Armenia",
        "Nagorno-Karabakh",
        "Russia",
        "Conflict",
    }
    assert entry.author == "BSS/AFP"
    first_paragraph = demo_story.sections.all()[0].paragraphs[0]
    assert entry.summary == first_paragraph
    assert entry.summary.startswith("Azerbaijan said Wednesday it had regained control")


@pytest.mark.parametrize("name", FEEDS)
def test_feeds_prefer_standfirst_and_byline(client, name):
    """The standfirst is the summary and the byline the author, when a story has them."""
    make_story(standfirst="Talks resume in Yevlakh.", byline="Jane Doe", dateline_credit="AFP")
    (entry,) = read(client, reverse(name)).entries
    assert entry.summary == "Talks resume in Yevlakh."
    assert entry.author == "Jane Doe"


@pytest.mark.parametrize("name", FEEDS)
def test_feeds_escape_markup_in_plain_text(client, name):
    """Editors' & and < stay text: the feed is well formed and carries no markup of theirs."""
    make_story(headline="Tom & Jerry <b>bold</b>", standfirst="Cats & <script>dogs</script>")
    response = client.get(reverse(name))
    parsed = read(client, reverse(name))
    assert parsed.entries[0].title == "Tom & Jerry <b>bold</b>"
    assert b"<script>" not in response.content
    assert b"Cats &amp; &lt;script&gt;dogs&lt;/script&gt;" in response.content


def test_feeds_list_newest_first_and_at_most_twenty(client):
    """The 20 newest public stories, newest first."""
    for n in range(22):
        make_story(headline=f"Story {n:02}", ago=timedelta(hours=n + 1))
    for name in FEEDS:
        titles = [e.title for e in read(client, reverse(name)).entries]
        assert titles == [f"Story {n:02}" for n in range(20)]


@pytest.mark.parametrize("name", TAG_FEEDS)
def test_tag_feeds_list_only_that_tags_stories(client, name):
    """A tag's feed has its public stories, newest first, and nothing else."""
    make_story(headline="Older Baku story", tags=["Baku"], ago=timedelta(days=2))
    make_story(headline="Newer Baku story", tags=["Baku"])
    make_story(headline="Lima story", tags=["Lima"])
    parsed = read(client, reverse(name, args=["baku"]))
    assert parsed.feed.title == "Newsroom: stories tagged Baku"
    assert parsed.feed.link == "http://testserver/tags/baku/"
    assert [e.title for e in parsed.entries] == ["Newer Baku story", "Older Baku story"]


@pytest.mark.parametrize("name", TAG_FEEDS)
def test_tag_feed_of_the_seed_story_tag(client, demo_story, name):
    """The seed story is in the feed of each of its tags."""
    parsed = read(client, reverse(name, args=["nagorno-karabakh"]))
    assert parsed.feed.title == "Newsroom: stories tagged Nagorno-Karabakh"
    assert [e.link for e in parsed.entries] == [
        "http://testserver" + demo_story.get_absolute_url()
    ]


@pytest.mark.parametrize("name", FEEDS + TAG_FEEDS)
def test_hidden_stories_are_in_no_feed(client, name):
    """Drafts, scheduled stories and published ones without a time are left out."""
    make_story(headline="Public story", tags=["Ceasefire"])
    for state, fields in HIDDEN.items():
        make_story(headline=f"Embargoed story, {state}", tags=["Ceasefire"], **fields)
    args = ["ceasefire"] if name in TAG_FEEDS else []
    response = client.get(reverse(name, args=args))
    parsed = read(client, reverse(name, args=args))
    assert [e.title for e in parsed.entries] == ["Public story"]
    assert b"Embargoed" not in response.content


@pytest.mark.parametrize("name", TAG_FEEDS)
@pytest.mark.parametrize("state", HIDDEN)
def test_tag_feed_of_a_tag_only_hidden_stories_use_is_404(client, name, state):
    """A tag used only by drafts or scheduled stories has no feed, so it reveals nothing."""
    make_story(tags=["Embargo"], **HIDDEN[state])
    make_story(tags=["Public"])
    assert client.get(reverse(name, args=["embargo"])).status_code == 404
    assert client.get(reverse(name, args=["no-such-tag"])).status_code == 404


class _AlternateLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "alternate":
            self.links[attrs["href"]] = attrs.get("type")


def alternate_links(client, url) -> dict[str, str]:
    parser = _AlternateLinks()
    parser.feed(client.get(url).content.decode())
    return parser.links


def test_every_page_announces_the_feeds(client, demo_story):
    """<link rel="alternate"> for RSS and Atom in every page's head; tag pages add theirs."""
    for url in ("/", demo_story.get_absolute_url(), "/places/baku/"):
        links = alternate_links(client, url)
        assert links[reverse("articles:feed_rss")] == "application/rss+xml", url
        assert links[reverse("articles:feed_atom")] == "application/atom+xml", url
    links = alternate_links(client, reverse("articles:tag", args=["armenia"]))
    assert links[reverse("articles:tag_feed_rss", args=["armenia"])] == "application/rss+xml"


@pytest.mark.parametrize("size", [1, 25])
def test_feeds_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, size):
    """Stories, sections, tags (and the tag for a tag feed): the same, however many (and,
    for the first response cached, when the next scheduled story is due)."""
    for n in range(size):
        make_story(tags=[f"Tag {n}", "Shared"])
    for name in FEEDS:
        with django_assert_max_num_queries(4):
            parsed = read(client, reverse(name))
        assert len(parsed.entries) == min(size, 20)
    for name in TAG_FEEDS:
        with django_assert_max_num_queries(4):
            parsed = read(client, reverse(name, args=["shared"]))
        assert len(parsed.entries) == min(size, 20)
