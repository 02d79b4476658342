"""The first public pages: home, story and tag, with their contents and query budgets."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Story
from tests.factories import make_story

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return unescape(response.content.decode())


def main_of(html: str) -> str:
    """The page's own content, without the shared sidebar."""
    return re.search(r"<main .*?</main>", html, re.S).group()


def section_headings(html: str) -> list[tuple[str, str]]:
    """The story's subheadings: each <h2> that labels its own section."""
    return re.findall(r'<section aria-labelledby="([^"]+)">\s*<h2 id="\1">(.*?)</h2>', html)


def test_story_page_shows_the_whole_seed_story(client, demo_story):
    """Headline, wire-style dateline, subheadings as <h2> with ids, all 37 paragraphs."""
    response = client.get(demo_story.get_absolute_url())
    html = text_of(response)
    assert response.status_code == 200
    assert re.findall(r"<h1>(.*?)</h1>", html) == [
        "Azerbaijan claims victory after Karabakh separatists surrender"
    ]
    assert '<span class="dateline">BAKU, Sept 21, 2023 (BSS/AFP) -</span> Azerbaijan said' in html
    assert section_headings(html) == [
        ("truce-deal", "Truce deal"),
        ("war-is-over", "'War is over'"),
        ("international-pressure", "International pressure"),
    ]
    paragraphs = [p for section in demo_story.sections.all() for p in section.paragraphs]
    assert len(paragraphs) == 37
    for paragraph in paragraphs:
        assert paragraph in html
    assert "traditonal regional power broker" in html
    assert "Latest News" not in html


def test_story_page_links_to_working_tag_pages(client, demo_story):
    """Every tag on the story links to a page that lists the story."""
    html = text_of(client.get(demo_story.get_absolute_url()))
    links = re.findall(r'<a href="(/tags/[^"]+/)" rel="tag">([^<]+)</a>', html)
    assert sorted(name for _, name in links) == sorted(demo_story.tags.names())
    assert ("/tags/nagorno-karabakh/", "Nagorno-Karabakh") in links
    for href, name in links:
        tag_page = client.get(href)
        assert tag_page.status_code == 200
        assert name in text_of(tag_page)
        assert demo_story.headline in text_of(tag_page)


def test_story_url_is_dated_by_publication():
    """The address is /year/month/day/slug/ with two-digit month and day."""
    story = Story(slug="truce", published_at=datetime(2023, 9, 1, 12, tzinfo=UTC))
    assert story.get_absolute_url() == "/2023/09/01/truce/"
    assert Story(slug="draft").get_absolute_url() == ""


@pytest.mark.parametrize(
    "state",
    [
        {"status": Story.Status.DRAFT},
        {"ago": -timedelta(hours=1)},
        {"ago": None},
    ],
    ids=["draft", "scheduled", "no-time"],
)
def test_unpublished_stories_are_404_and_missing_from_lists(client, state):
    """Drafts and scheduled stories are on no public page, even by direct address."""
    tags = ["Secret"]
    hidden = make_story(headline="Hidden embargoed story", tags=tags, **state)
    make_story(headline="Visible story", tags=tags)
    when = hidden.published_at or hidden.created_at
    url = reverse(
        "articles:story",
        kwargs={"year": when.year, "month": when.month, "day": when.day, "slug": hidden.slug},
    )
    assert client.get(url).status_code == 404
    for page in (reverse("articles:home"), reverse("articles:tag", args=["secret"])):
        html = text_of(client.get(page))
        assert "Visible story" in html
        assert "Hidden embargoed story" not in html


def test_story_page_404s_for_the_wrong_date_or_an_impossible_one(client):
    """Only the story's own date finds it; 30 February is a 404, not an error."""
    story = make_story(slug="on-time")
    when = story.published_at
    assert client.get(story.get_absolute_url()).status_code == 200
    assert client.get(f"/{when.year - 1}/{when:%m/%d}/on-time/").status_code == 404
    assert client.get("/2023/02/30/on-time/").status_code == 404
    assert client.get("/2023/9/21/on-time/").status_code == 404


def test_home_lists_published_stories_newest_first(client):
    """Home shows public stories, newest first, and nothing else."""
    make_story(headline="Older story", ago=timedelta(days=2))
    make_story(headline="Newer story", ago=timedelta(hours=1))
    make_story(headline="Draft story", status=Story.Status.DRAFT)
    html = text_of(client.get("/"))
    assert html.index("Newer story") < html.index("Older story")
    assert "Draft story" not in html


def test_home_says_so_when_nothing_is_published(client):
    """An empty site explains itself."""
    make_story(status=Story.Status.DRAFT)
    assert "No stories have been published yet." in text_of(client.get("/"))


def test_home_pages_by_cursor_without_gaps_or_repeats(client):
    """Twenty stories a page; "Older stories" walks every story once, even when several
    share one publication time; "Newer stories" walks back."""
    moment = timezone.now() - timedelta(hours=1)
    for n in range(45):
        make_story(
            headline=f"Paged story {n:02d}", published_at=moment - timedelta(minutes=n // 3)
        )
    seen, url, pages = [], "/", []
    while url:
        html = text_of(client.get(url))
        pages.append(html)
        seen += re.findall(r"Paged story \d\d(?=</a></h2>)", html)
        older = re.search(r'<a href="(\?before=[^"]+)" rel="next">', html)
        url = "/" + older.group(1) if older else None
    assert len(pages) == 3
    newest_first = [story.headline for story in Story.objects.published()]
    assert seen == newest_first
    assert sorted(seen) == [f"Paged story {n:02d}" for n in range(45)]
    newer = re.search(r'<a href="(\?after=[^"]+)" rel="prev">', pages[1]).group(1)
    first_again = re.findall(r"Paged story \d\d(?=</a></h2>)", text_of(client.get("/" + newer)))
    assert first_again == newest_first[:20]


@pytest.mark.parametrize("cursor", ["nonsense", "1-", "99999999999999999999-1", "-1-2", "%00"])
def test_a_made_up_cursor_gives_the_newest_page(client, cursor):
    """Odd query strings answer calmly with the newest stories."""
    make_story(headline="The newest story")
    response = client.get("/", {"before": cursor})
    assert response.status_code == 200
    assert "The newest story" in text_of(response)


def test_tag_with_only_drafts_is_404(client):
    """A tag page reveals nothing about unpublished stories."""
    make_story(status=Story.Status.DRAFT, tags=["Embargo"])
    assert client.get(reverse("articles:tag", args=["embargo"])).status_code == 404
    assert client.get(reverse("articles:tag", args=["no-such-tag"])).status_code == 404


def test_text_is_escaped_never_raw_html(client):
    """Markup in copy reaches the page as text."""
    story = make_story(
        headline="<script>alert(1)</script> Headline",
        sections=[("<b>Sub</b>", ["<img src=x onerror=alert(1)>"])],
    )
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Headline" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;Sub&lt;/b&gt;" in html


def test_repeated_subheadings_get_distinct_anchors(client):
    """Two sections with one subheading still have unique ids."""
    story = make_story(sections=[("", ["Lead."]), ("Update", ["One."]), ("Update", ["Two."])])
    html = text_of(client.get(story.get_absolute_url()))
    assert [anchor for anchor, _ in section_headings(html)] == ["update", "update-2"]


@pytest.mark.parametrize("size", [1, 15])
def test_list_pages_query_count_is_fixed(client, django_assert_max_num_queries, size):
    """Home, tag and place pages: a fixed number of queries, however many stories and
    tags (the page, its tags, the latest news; the tag page looks up its tag; the first
    page cached also reads when the next scheduled story is due, which ends its lifetime)."""
    for n in range(size):
        make_story(tags=["Common", f"Own {n}", f"Other {n}"], dateline_place="SOMEWHERE")
    with django_assert_max_num_queries(4):
        home = client.get("/")
    with django_assert_max_num_queries(4):
        tag = client.get(reverse("articles:tag", args=["common"]))
    with django_assert_max_num_queries(3):
        place = client.get(reverse("articles:place", args=["somewhere"]))
    assert home.content.decode().count('class="story-card"') == size
    assert tag.content.decode().count('class="story-card"') == size
    assert place.content.decode().count('class="story-card"') == size


def test_place_page_lists_the_stories_filed_from_there(client, demo_story):
    """/places/baku/ lists BAKU's public stories and nothing else."""
    make_story(headline="Filed from Lima", dateline_place="LIMA")
    make_story(headline="Draft from Baku", dateline_place="BAKU", status=Story.Status.DRAFT)
    html = main_of(text_of(client.get(reverse("articles:place", args=["baku"]))))
    assert '<h1>Filed from <span class="place-name">BAKU</span></h1>' in html
    assert demo_story.headline in html
    assert "Filed from Lima" not in html and "Draft from Baku" not in html
    assert client.get(reverse("articles:place", args=["atlantis"])).status_code == 404


def test_every_page_has_the_latest_news_and_a_skip_link(client, demo_story):
    """The shared layout: skip link to the main content, latest news, no drafts there."""
    make_story(headline="Draft in the sidebar?", status=Story.Status.DRAFT)
    for url in ("/", demo_story.get_absolute_url(), "/tags/armenia/", "/places/baku/"):
        html = text_of(client.get(url))
        assert '<a class="skip-link" href="#main">Skip to content</a>' in html
        assert '<main id="main"' in html
        assert '<h2 id="latest-news-heading">Latest news</h2>' in html
        assert "Draft in the sidebar?" not in html


def test_not_found_page_helps_the_reader(client):
    """A missing page says so, in the site's layout, with a way back."""
    response = client.get("/no/such/page/")
    html = text_of(response)
    assert response.status_code == 404
    assert "<h1>We can't find that page</h1>" in html
    assert 'href="/"' in html


def test_server_error_page_needs_no_database():
    """The 500 page is plain HTML: it renders with no context and no queries."""
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
    assert "{%" not in html


def test_favicon_is_served(client):
    """/favicon.ico leads to the site's icon instead of a 404."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
