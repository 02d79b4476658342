"""What the story page tells machines: canonical link, description, Open Graph, JSON-LD."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest

from tests.factories import make_story

pytestmark = pytest.mark.django_db


def json_ld(html: str) -> dict:
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


def meta(html: str, key: str) -> list[str]:
    pattern = rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">'
    return [unescape(value) for value in re.findall(pattern, html)]


def test_seed_story_has_a_complete_news_article(client, demo_story):
    """The JSON-LD parses and carries the fields news aggregators read."""
    html = client.get(demo_story.get_absolute_url()).content.decode()
    data = json_ld(html)
    url = "http://testserver" + demo_story.get_absolute_url()
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Azerbaijan claims victory after Karabakh separatists surrender"
    assert data["datePublished"] == "2023-09-21T03:55:00+00:00"
    assert data["dateModified"] == "2023-09-21T03:55:00+00:00"
    assert data["dateline"] == "BAKU, Sept 21, 2023 (BSS/AFP)"
    assert data["locationCreated"] == {"@type": "Place", "name": "BAKU"}
    assert set(data["keywords"]) == {
        "Azerbaijan",
        "Armenia",
        "Nagorno-Karabakh",
        "Russia",
        "Conflict",
    }
    assert data["publisher"] == {"@type": "Organization", "name": "Newsroom"}
    assert data["isAccessibleForFree"] is True
    assert data["url"] == data["mainEntityOfPage"]["@id"] == url
    assert data["author"] == {"@type": "Organization", "name": "BSS/AFP"}
    assert data["description"].startswith("Azerbaijan said Wednesday it had regained control")
    assert len(data["description"]) <= 160


def test_canonical_description_and_social_cards(client, demo_story):
    """Canonical link, meta description from the first paragraph, OG and Twitter tags."""
    html = client.get(demo_story.get_absolute_url()).content.decode()
    url = "http://testserver" + demo_story.get_absolute_url()
    assert f'<link rel="canonical" href="{url}">' in html
    (description,) = re.findall(r'<meta name="description" content="([^"]*)">', html)
    assert unescape(description).startswith("Azerbaijan said Wednesday")
    assert meta(html, "og:type") == ["article"]
    assert meta(html, "og:url") == [url]
    assert meta(html, "og:title") == [demo_story.headline]
    assert meta(html, "twitter:card") == ["summary"]
    assert sorted(meta(html, "article:tag")) == sorted(demo_story.tags.names())
    assert meta(html, "article:published_time") == ["2023-09-21T03:55:00+00:00"]


def test_standfirst_is_the_description_when_there_is_one(client):
    """An editor's standfirst beats the first paragraph."""
    story = make_story(standfirst="Short summary for readers.")
    html = client.get(story.get_absolute_url()).content.decode()
    assert meta(html, "og:description") == ["Short summary for readers."]
    assert json_ld(html)["description"] == "Short summary for readers."


def test_json_ld_cannot_break_out_of_its_script(client):
    """A headline containing </script> stays inside the JSON, escaped."""
    story = make_story(headline="</script><script>alert(1)</script> & more")
    html = client.get(story.get_absolute_url()).content.decode()
    assert "</script><script>alert(1)" not in html
    assert json_ld(html)["headline"] == "</script><script>alert(1)</script> & more"


def test_story_page_structure(client, demo_story):
    """One <h1>, an <article> with a <header>, machine-readable times, a contents list."""
    html = client.get(demo_story.get_absolute_url()).content.decode()
    assert html.count("<h1>") == 1
    assert '<article class="story">' in html and "<header>" in html
    assert '<time datetime="2023-09-21T03:55:00+00:00">' in html
    contents = re.search(r'<nav class="contents".*?</nav>', html, re.S).group()
    assert re.findall(r'<a href="#([^"]+)">', contents) == [
        "truce-deal",
        "war-is-over",
        "international-pressure",
    ]
    assert '<a class="dateline-place" href="/places/baku/">BAKU</a>' in html


def test_related_stories_share_tags_and_are_public(client):
    """Related stories are the public ones with the most tags in common."""
    story = make_story(headline="Main story", tags=["Baku", "Truce", "Armenia"])
    make_story(headline="Shares two tags", tags=["Baku", "Truce"])
    make_story(headline="Shares one tag", tags=["Armenia"])
    make_story(headline="Shares nothing", tags=["Football"])
    make_story(headline="Draft with all tags", status="draft", tags=["Baku", "Truce", "Armenia"])
    make_story(headline="Scheduled with all tags", ago=-timedelta(days=1), tags=["Baku", "Truce"])
    html = client.get(story.get_absolute_url()).content.decode()
    related = re.search(r'<section class="related".*?</section>', html, re.S).group()
    assert re.findall(r">([^<>]+)</a>", related) == ["Shares two tags", "Shares one tag"]
