"""/corrections/ and its feed: every published correction of a public story, newest first,
paginated, cached under ``corrections`` and purged when one is published."""

import re
from datetime import timedelta
from html import unescape

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Correction, Story
from articles.site.corrections import CORRECTIONS_PER_PAGE
from articles.site.structured_data import iso_seconds
from tests.factories import make_story

pytestmark = pytest.mark.django_db

URL = reverse("articles:corrections")
FEED = reverse("articles:corrections_feed")


def correct(story: Story, text: str, *, ago: timedelta, kind=Correction.Kind.CORRECTION):
    """A correction published ``ago``, as the desk publishes it."""
    correction = Correction.objects.create(
        story=story,
        kind=kind,
        text=text,
        story_version=story.version,
        published_at=timezone.now() - ago,
    )
    return correction


def entries(html: str) -> list[tuple[str, str, str, str]]:
    """(story link, headline, "Kind, date", text) of each correction listed."""
    found = re.findall(
        r'<article class="correction-entry">\s*<h2><a href="([^"]+)">([^<]+)</a></h2>\s*'
        r'<p class="meta">(.*?)</p>\s*<p>([^<]*)</p>',
        html,
        re.S,
    )
    return [
        (href, unescape(title), " ".join(re.sub(r"<[^>]+>", "", meta).split()), unescape(text))
        for href, title, meta, text in found
    ]


def test_the_page_lists_public_corrections_newest_first(client):
    """Headline linked to the correction on its story, kind, date and text; corrections
    still prepared, and those of killed, embargoed or draft stories, are not listed."""
    story = make_story(headline="Truce <signed>", ago=timedelta(days=2))
    other = make_story(headline="Floods", ago=timedelta(days=2))
    old = correct(story, "The minister is Ali Asadov.", ago=timedelta(days=1))
    new = correct(
        other, "Rain, not snow.", ago=timedelta(hours=1), kind=Correction.Kind.CLARIFICATION
    )
    Correction.objects.create(story=story, text="Prepared only.", story_version=1)
    for hidden in (
        make_story(headline="Killed one", status=Story.Status.KILLED),
        make_story(headline="Embargoed one", embargo=timezone.now() + timedelta(hours=2)),
        make_story(headline="Draft one", status=Story.Status.DRAFT),
    ):
        correct(hidden, f"About {hidden.headline}.", ago=timedelta(minutes=5))
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    when = timezone.localtime(new.published_at)
    assert entries(html) == [
        (
            f"{other.get_absolute_url()}#correction-{new.pk}",
            "Floods",
            f"Clarification, {when:%-d %B %Y, %H:%M %Z}",
            "Rain, not snow.",
        ),
        (
            f"{story.get_absolute_url()}#correction-{old.pk}",
            "Truce <signed>",
            f"Correction, {timezone.localtime(old.published_at):%-d %B %Y, %H:%M %Z}",
            "The minister is Ali Asadov.",
        ),
    ]
    assert f'<time datetime="{iso_seconds(when)}">' in html
    assert "Prepared only" not in html and "one." not in html
    assert "&lt;signed&gt;" in html
    assert f'href="{FEED}"' in html  # announced and linked


def test_the_page_is_paginated_fifty_at_a_time(client, django_assert_max_num_queries):
    """Keyset pages of fifty, older and newer links; bad or odd query strings get the
    newest page, never an error; one query for the list however many."""
    story = make_story()
    for n in range(CORRECTIONS_PER_PAGE + 5):
        correct(story, f"Correction number {n}.", ago=timedelta(minutes=n + 1))
    with django_assert_max_num_queries(3):  # the list, the sidebar, the next story due
        first = client.get(URL).content.decode()
    texts = [text for *_, text in entries(first)]
    assert texts == [f"Correction number {n}." for n in range(CORRECTIONS_PER_PAGE)]
    older = re.search(r'href="\?before=([^"]+)" rel="next">Older corrections', first).group(1)
    second = client.get(URL, {"before": older}).content.decode()
    assert [text for *_, text in entries(second)] == [
        f"Correction number {n}." for n in range(CORRECTIONS_PER_PAGE, CORRECTIONS_PER_PAGE + 5)
    ]
    assert 'rel="prev">Newer corrections' in second
    for odd in ("?before=nonsense", "?after=1-x", "?before=" + "9" * 60, "?p=%ff&before="):
        response = client.get(URL + odd)
        assert response.status_code == 200, odd
        assert [text for *_, text in entries(response.content.decode())] == texts, odd


def test_the_page_without_corrections_says_so(client):
    """An empty page is a page, with the footer link to it."""
    html = client.get(URL).content.decode()
    assert "No corrections have been published." in html
    assert f'<a href="{URL}">Corrections</a>' in html  # the site footer


def test_the_page_is_cached_and_a_new_correction_purges_it(client, editor, commit):
    """Surrogate keys ``corrections`` and the stories'; a published correction is listed
    at once, and so is a story leaving readers (killed)."""
    story = make_story(headline="Truce signed")
    correct(story, "First fix.", ago=timedelta(hours=1))
    response = client.get(URL)
    assert {"corrections", f"story-{story.pk}", "all"} <= set(response["Surrogate-Key"].split())
    assert client.get(URL).has_header("Age")
    with commit():
        services.prepare_correction(story=story, user=editor, text="Second fix.", publish=True)
    response = client.get(URL)
    assert not response.has_header("Age")
    assert [text for *_, text in entries(response.content.decode())] == [
        "Second fix.",
        "First fix.",
    ]
    with commit():
        services.kill_story(story=Story.objects.get(pk=story.pk), user=editor)
    assert entries(client.get(URL).content.decode()) == []


def test_the_corrections_feed(client, editor, commit):
    """Atom, newest first, each entry linking to its correction on the story, with an id
    of its own that a later update of the story does not change."""
    story = make_story(headline="Truce signed")
    first = correct(story, "First fix.", ago=timedelta(hours=2))
    second = correct(story, "Second fix.", ago=timedelta(hours=1))
    correct(make_story(status=Story.Status.KILLED), "Hidden.", ago=timedelta(minutes=1))
    response = client.get(FEED)
    assert response["Content-Type"].startswith("application/atom+xml")
    assert {"corrections", f"story-{story.pk}"} <= set(response["Surrogate-Key"].split())
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Newsroom: corrections and clarifications"
    assert parsed.feed.link == "http://testserver" + URL
    base = "http://testserver" + story.get_absolute_url()
    assert [(e.title, e.summary, e.link) for e in parsed.entries] == [
        ("Correction: Truce signed", "Second fix.", f"{base}#correction-{second.pk}"),
        ("Correction: Truce signed", "First fix.", f"{base}#correction-{first.pk}"),
    ]
    assert [e.id for e in parsed.entries] == [e.link for e in parsed.entries]
    assert parsed.entries[0].published == timezone.localtime(second.published_at).isoformat()
