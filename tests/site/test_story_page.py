"""The story page, read through the ORM: the right story for each address and time, its
sections from their stored HTML, its tags and related stories, in a fixed number of queries."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.db.models import Value
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Section, Story, Take
from tests.factories import make_story

pytestmark = pytest.mark.django_db

AWKWARD = 'Quotes " and \\ backslashes, <tags> & “curly” text, émigré, 東京, tab\there'


def page(client, story: Story) -> str:
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def related_headlines(html: str) -> list[str]:
    related = re.search(r'<section class="related".*?</section>', html, re.S)
    return re.findall(r">([^<>]+)</a>", related.group()) if related else []


def test_the_page_shows_every_field_section_and_tag_escaped(client):
    """Awkward text everywhere comes out escaped, sections in order, the dateline first."""
    story = make_story(
        headline=AWKWARD,
        standfirst=AWKWARD,
        byline="Jane Doe",
        dateline_place="BAKU",
        dateline_date=date(2023, 9, 21),
        dateline_credit="AFP",
        sections=[("", [AWKWARD, "Second."]), ("Zeta", ["Z."]), ("Alpha", ["A.\nStill A."])],
        tags=["Zebra", "Aardvark", AWKWARD[:90]],
    )
    html = page(client, story)
    text = unescape(html)
    assert f"<h1>{AWKWARD}</h1>" in text
    assert f'<p class="standfirst">{AWKWARD}</p>' in text
    assert '<span class="byline">By Jane Doe</span>' in html
    lead = f'<p><span class="dateline">BAKU, Sept 21, 2023 (AFP) -</span> {AWKWARD}</p>'
    assert lead in text
    assert re.findall(r'<section aria-labelledby="([^"]+)">', html) == ["zeta", "alpha"]
    assert text.index("Second.") < text.index("Z.") < text.index("Still A.")
    assert sorted(unescape(t) for t in re.findall(r'rel="tag">([^<]+)</a>', html)) == sorted(
        ["Zebra", "Aardvark", AWKWARD[:90]]
    )
    assert "<tags>" not in html and "&lt;tags&gt;" in html


def test_sections_come_from_their_stored_html(client):
    """The page shows each section's HTML as it was stored when saved: it does not render
    the paragraphs again (here the stored HTML says something the text does not)."""
    story = make_story(sections=[("", ["Lead."]), ("Later", ["Text."])])
    Section.objects.filter(story=story, position=1).update(
        body_html=Value("<p>Stored <em>HTML</em>.</p>\n")
    )
    html = page(client, story)
    assert "<p>Stored <em>HTML</em>.</p>" in html
    assert "<p>Text.</p>" not in html


def test_related_stories_share_the_most_tags_and_are_public(client):
    """Most shared tags first, then newest; drafts and future stories are never related."""
    story = make_story(tags=["A", "B", "C"])
    three = make_story(headline="Three", tags=["A", "B", "C"], ago=timedelta(days=3))
    two_old = make_story(headline="Two old", tags=["A", "B"], ago=timedelta(days=2))
    two_new = make_story(headline="Two new", tags=["B", "C"], ago=timedelta(days=1))
    make_story(headline="Draft", tags=["A", "B", "C"], status=Story.Status.DRAFT)
    make_story(headline="Future", tags=["A", "B", "C"], ago=-timedelta(hours=1))
    one = make_story(headline="One", tags=["C"], ago=timedelta(minutes=30))
    make_story(headline="Unrelated", tags=["Unrelated"])
    expected = [three.headline, two_new.headline, two_old.headline, one.headline]
    assert related_headlines(page(client, story)) == expected


def test_each_address_gets_its_own_story(client):
    """The same slug on two days is two stories; another day or slug is a 404."""
    first = make_story(headline="First", slug="same-slug", ago=timedelta(days=2))
    second = make_story(headline="Second", slug="same-slug", ago=timedelta(days=1))
    assert "<h1>First</h1>" in page(client, first)
    assert "<h1>Second</h1>" in page(client, second)
    for wrong in ("/1999/01/01/same-slug/", first.get_absolute_url().replace("same", "other")):
        assert client.get(wrong).status_code == 404


def test_a_scheduled_story_appears_when_its_time_comes(client, monkeypatch):
    """Scheduled and draft stories are 404 until the time that counts as now is theirs."""
    draft = make_story(status=Story.Status.DRAFT)
    scheduled = make_story(ago=-timedelta(hours=2))
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(scheduled.get_absolute_url()).status_code == 404
    later = timezone.now() + timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get(scheduled.get_absolute_url()).status_code == 200
    assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("size", [1, 12])
@pytest.mark.parametrize("revised", [False, True], ids=["first-take", "updated-and-corrected"])
def test_the_story_page_runs_a_fixed_number_of_queries(
    client, settings, django_assert_max_num_queries, size, revised, editor
):
    """The story, its sections, its tags, its published corrections, the related stories
    (their tag rows, then the stories), the sidebar's latest news, and when the next
    scheduled story is due (which ends the fragments' lifetime): eight queries however many
    sections, tags and corrections; four once the two fragments are cached. A story readers
    were told changed reads the agency's note of its latest update too: one more."""
    settings.PAGE_CACHE_SECONDS = 0  # every request renders the page
    story = make_story(
        sections=[("", ["Lead."])] + [(f"Part {n}", [f"Text {n}."]) for n in range(size)],
        tags=[f"Tag {n}" for n in range(size)],
    )
    other = make_story(tags=["Tag 0"])
    budget = 8
    if revised:
        for n in range(size):
            Take.objects.create(
                story=story,
                kind=Take.Kind.UPDATE,
                headline=story.headline,
                note=f"Adds paragraph {n}",
                source_text=f"take {n}",
                checksum=f"take-{n}",
            )
            services.prepare_correction(story=story, user=editor, text=f"Fix {n}.", publish=True)
        # The latest take told readers of the change (its note is shown), as an import does.
        latest = story.takes.latest("received_at").received_at
        Story.objects.filter(pk=story.pk).update(revised_at=latest)
        budget += 1
    with django_assert_max_num_queries(budget):
        html = page(client, story)
    assert html.count('rel="tag"') == size
    assert related_headlines(html) == [other.headline]
    assert html.count('<li id="correction-') == (size if revised else 0)
    assert (f"Adds paragraph {size - 1}" in html) is revised
    with django_assert_max_num_queries(budget - 4):
        assert page(client, story) == html


def test_the_story_page_links_its_ninjs_document(client):
    """<link rel="alternate" type="application/json"> leads to this story's ninjs document."""
    story = make_story(headline="Linked as JSON")
    html = page(client, story)
    (href,) = re.findall(
        r'<link rel="alternate" type="application/json"[^>]* href="([^"]+)"', html
    )
    assert href == reverse("articles:api_story", args=[story.pk])
    document = client.get(href).json()
    assert document["uri"] == "http://testserver" + story.get_absolute_url()
    assert document["headlines"][0]["value"] == "Linked as JSON"


def test_the_home_page_links_the_ninjs_list(client):
    """The home page's alternate JSON link is the ninjs list, which holds the newest story."""
    story = make_story()
    html = client.get("/").content.decode()
    (href,) = re.findall(
        r'<link rel="alternate" type="application/json"[^>]* href="([^"]+)"', html
    )
    assert href == reverse("articles:api_stories")
    items = client.get(href).json()["items"]
    assert [item["uri"] for item in items] == ["http://testserver" + story.get_absolute_url()]
