"""What readers see of a story's life after its first take: the "Updated" line and the
agency's note, corrections at the foot, dateModified and CorrectionComment, the feeds'
updated time, 410 for a kill, 301 for a moved address, and the preview's banners."""

import json
import re
from datetime import timedelta
from html import unescape
from xml.etree import ElementTree

import feedparser
import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Correction, Story, Take
from articles.services import effects
from articles.site.structured_data import iso_seconds
from tests.factories import make_story, make_user
from tests.services.takes_helpers import import_seed, later_take

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def take(story: Story, kind: str, note: str, *, ago: timedelta = timedelta(0)) -> Take:
    return Take.objects.create(
        story=story,
        kind=kind,
        headline=story.headline,
        note=note,
        source_text=f"{kind}: {note}",
        checksum=f"{story.pk}-{kind}-{note}",
        received_at=timezone.now() - ago,
    )


def revise(story: Story, at) -> None:
    """What an imported update does to the story: readers are told it changed at ``at``
    (an update() sends no signal: the test says what changed, as such code must)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        Story.objects.filter(pk=story.pk).update(revised_at=at)
        effects.stories_changed([story.pk])
    story.refresh_from_db()


def json_ld(html: str) -> dict:
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def test_an_update_says_updated_with_the_agency_note(client):
    """ "Updated <time>" from revised_at, with the note of the take filed then; a later
    take without a note, or a later change by the desk, shows no earlier take's note."""
    story = make_story(headline="Quake toll rises")
    take(story, Take.Kind.UPDATE, "Adds death toll in paragraph 2", ago=timedelta(minutes=20))
    refile = take(story, Take.Kind.REFILE, "Refiles to fix typo", ago=timedelta(minutes=10))
    revise(story, refile.received_at)
    html = client.get(story.get_absolute_url()).content.decode()
    stamp = iso_seconds(timezone.localtime(refile.received_at))
    assert f'· Updated <time datetime="{stamp}">' in html
    assert '<p class="update-note">Refiles to fix typo</p>' in html
    assert "Adds death toll" not in html
    for later in (take(story, Take.Kind.UPDATE, "", ago=timedelta(minutes=5)).received_at, None):
        revise(story, later or timezone.now())  # a noteless update, then the desk's change
        html = client.get(story.get_absolute_url()).content.decode()
        assert "· Updated <time" in html
        assert "update-note" not in html and "Refiles to fix typo" not in html


def test_a_desk_save_alone_says_no_updated(client, editor):
    """A save on the desk (a typo, a tag) is not an update readers are told of."""
    story = make_story(ago=timedelta(hours=2))
    story.headline = "Typo fixed"
    services.save_story(story=story, expected_version=story.version, user=editor)
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<h1>Typo fixed</h1>" in html and "Updated" not in html


def test_corrections_are_shown_at_the_foot_oldest_first(client, editor):
    """Published corrections and clarifications, oldest first, dated, in their own
    section; one still being prepared is not shown."""
    story = make_story(sections=[("", ["Lead."]), ("Later", ["Last paragraph."])])
    first = services.prepare_correction(
        story=story, user=editor, text="The minister is Ali <Asadov>.", publish=True
    )
    second = services.prepare_correction(
        story=story,
        user=editor,
        text="The talks were in Yevlakh.",
        kind=Correction.Kind.CLARIFICATION,
        publish=True,
    )
    services.prepare_correction(story=story, user=editor, text="Not yet public.")
    Correction.objects.filter(pk=first.pk).update(
        published_at=timezone.now() - timedelta(minutes=30)
    )
    html = client.get(story.get_absolute_url()).content.decode()
    section = re.search(r'<section class="corrections".*?</section>', html, re.S).group()
    assert 'aria-labelledby="corrections-heading"' in section
    assert '<h2 id="corrections-heading">Corrections and clarifications</h2>' in section
    first_day = timezone.localtime(first.published_at - timedelta(minutes=30))
    when = timezone.localtime(second.published_at)
    assert [text_of(item) for item in re.findall(r"<li.*?</li>", section, re.S)] == [
        f"Correction, {first_day:%-d %B %Y}: The minister is Ali <Asadov>.",
        f"Clarification, {when:%-d %B %Y}: The talks were in Yevlakh.",
    ]
    assert f'<time datetime="{iso_seconds(when)}">' in section
    assert "&lt;Asadov&gt;" in section and "<Asadov>" not in section
    assert "Not yet public" not in html
    assert html.index("Last paragraph.") < html.index('class="corrections"')


def test_json_ld_carries_date_modified_and_corrections(client, editor, commit):
    """dateModified is when readers were told; each correction a CorrectionComment; the
    cached page is made again when one is published."""
    story = make_story(ago=timedelta(days=1))
    data = json_ld(client.get(story.get_absolute_url()).content.decode())
    assert data["dateModified"] == iso_seconds(story.updated_at)
    assert "correction" not in data
    correction = services.prepare_correction(story=story, user=editor, text="Fixed a name.")
    with commit():
        services.publish_correction(correction=correction, user=editor)
    story.refresh_from_db()
    html = client.get(story.get_absolute_url()).content.decode()
    data = json_ld(html)
    assert data["dateModified"] == iso_seconds(story.revised_at)
    assert data["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": "Fixed a name.",
            "datePublished": iso_seconds(correction.published_at),
        }
    ]
    assert f'content="{iso_seconds(timezone.localtime(story.revised_at))}"' in html


def test_atom_updated_follows_the_update_and_the_id_stays(client):
    """The entry's <updated> is revised_at; its id is the same before and after."""
    story = make_story(ago=timedelta(days=2))
    before = feedparser.parse(client.get(reverse("articles:feed_atom")).content).entries[0]
    revised = timezone.now() - timedelta(hours=1)
    revise(story, revised)
    after = feedparser.parse(client.get(reverse("articles:feed_atom")).content).entries[0]
    assert after.id == before.id == "http://testserver" + story.get_absolute_url()
    assert after.updated == timezone.localtime(revised).isoformat()
    rss = feedparser.parse(client.get(reverse("articles:feed_rss")).content).entries[0]
    assert rss.id == before.id


def lastmod_of(client, story: Story) -> str:
    tree = ElementTree.fromstring(client.get("/sitemap.xml").content)
    (lastmod,) = [
        url.find("sm:lastmod", SITEMAP_NS).text
        for url in tree.findall("sm:url", SITEMAP_NS)
        if url.find("sm:loc", SITEMAP_NS).text.endswith(story.get_absolute_url())
    ]
    return lastmod


def test_a_correction_published_makes_cached_feeds_and_sitemap_current(client, editor, commit):
    """The correction is the story's latest change: the cached sitemap's lastmod and the
    Atom entry's <updated> move to it at once, not when their lifetime ends."""
    story = make_story(ago=timedelta(days=3))
    Story.objects.filter(pk=story.pk).update(updated_at=story.published_at)
    assert lastmod_of(client, story) == timezone.localtime(story.published_at).date().isoformat()
    client.get(reverse("articles:feed_atom"))
    assert client.get("/sitemap.xml").has_header("Age")  # cached
    with commit():
        services.prepare_correction(story=story, user=editor, text="Fixed.", publish=True)
    story.refresh_from_db()
    assert lastmod_of(client, story) == timezone.localtime(story.revised_at).date().isoformat()
    entry = feedparser.parse(client.get(reverse("articles:feed_atom")).content).entries[0]
    assert entry.updated == timezone.localtime(story.revised_at).isoformat()


def test_sitemap_lastmod_counts_the_update(client):
    """An update readers were told of after the last save is the story's lastmod."""
    story = make_story(ago=timedelta(days=3))
    Story.objects.filter(pk=story.pk).update(updated_at=story.published_at)
    revised = timezone.now() - timedelta(days=1)
    revise(story, revised)
    tree = ElementTree.fromstring(client.get("/sitemap.xml").content)
    (lastmod,) = [
        url.find("sm:lastmod", SITEMAP_NS).text
        for url in tree.findall("sm:url", SITEMAP_NS)
        if url.find("sm:loc", SITEMAP_NS).text.endswith(story.get_absolute_url())
    ]
    assert lastmod == timezone.localtime(revised).date().isoformat()


# Kills


def test_a_killed_story_answers_410_with_a_short_notice(client, editor):
    """410 Gone, "withdrawn", noindex, the site's layout, and nothing of the story."""
    story = make_story(headline="Libellous claim", sections=[("", ["Secret words."])])
    services.kill_story(story=story, user=editor, note="Legal")
    response = client.get(story.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 410
    assert "<h1>This story has been withdrawn.</h1>" in html
    assert '<meta name="robots" content="noindex">' in html
    assert response["X-Robots-Tag"] == "noindex"
    assert "Libellous" not in html and "Secret words" not in html
    assert 'class="site-footer"' in html
    assert f"story-{story.pk}" in response["Surrogate-Key"].split()
    assert "public" in response["Cache-Control"]


def test_a_cached_page_is_not_served_after_a_kill_and_comes_back_on_reinstatement(
    client, editor, commit
):
    """The cached page is purged by the kill; the cached 410 by the reinstatement."""
    story = make_story(headline="Soon withdrawn")
    url = story.get_absolute_url()
    client.get(url)
    assert client.get(url).has_header("Age")  # cached
    with commit():
        services.kill_story(story=story, user=editor)
    gone = client.get(url)
    assert gone.status_code == 410 and "Soon withdrawn" not in gone.content.decode()
    again = client.get(url)
    assert again.status_code == 410 and again.has_header("Age")  # the 410 is cached too
    with commit():
        services.reinstate_story(story=story, user=editor)
    back = client.get(url)
    assert back.status_code == 200 and "<h1>Soon withdrawn</h1>" in back.content.decode()


def test_a_story_killed_before_it_came_out_is_404(client, editor):
    """A kill of a scheduled or embargoed story does not reveal that it existed."""
    scheduled = make_story(ago=-timedelta(hours=1))
    embargoed = make_story(embargo=timezone.now() + timedelta(hours=1))
    for story in (scheduled, embargoed):
        services.kill_story(story=story, user=editor)
        assert client.get(story.get_absolute_url()).status_code == 404


# Moved addresses


def test_every_earlier_address_moves_straight_to_the_current_one(client, editor, commit):
    """Two slug changes: both old addresses answer 301 to the address now, cached with
    the story's key; feeds and sitemaps list the current address alone."""
    story = make_story(headline="Truce", slug="truce-talks")
    first = story.get_absolute_url()
    for slug in ("truce-agreed", "truce-signed"):
        story.slug = slug
        with commit():
            services.save_story(story=story, expected_version=story.version, user=editor)
        story.refresh_from_db()
    second = first.replace("truce-talks", "truce-agreed")
    now = story.get_absolute_url()
    assert now.endswith("/truce-signed/")
    for old in (first, second):
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, now)
        assert f"story-{story.pk}" in response["Surrogate-Key"].split()
    assert client.get(first).has_header("Age")
    assert client.get(now).status_code == 200
    for url in ("/feeds/atom/", "/feeds/rss/", "/sitemap.xml", "/news-sitemap.xml"):
        body = client.get(url).content.decode()
        assert "/truce-signed/" in body and "/truce-talks/" not in body, url
        assert "/truce-agreed/" not in body, url


def test_an_old_address_of_a_killed_or_hidden_story(client, editor, commit):
    """410 when the moved story is killed, 301 again once reinstated, 404 when it is a
    draft again: each answer cached, and purged by the story's change."""
    story = make_story(slug="before")
    old = story.get_absolute_url()
    story.slug = "after"
    with commit():
        services.save_story(story=story, expected_version=story.version, user=editor)
        services.kill_story(story=story, user=editor)
    assert client.get(old).status_code == 410
    with commit():
        services.reinstate_story(story=story, user=editor)
    assert client.get(old).status_code == 301
    assert client.get(old).has_header("Age")
    with commit():
        services.unpublish_story(story=story, user=editor)
    assert client.get(old).status_code == 404


# Preview


@pytest.mark.parametrize(
    ("state", "banner"),
    [
        ({"embargo": timezone.now() + timedelta(days=1)}, "EMBARGOED</strong> until <time"),
        ({"status": Story.Status.KILLED}, "<strong>KILLED</strong>: withdrawn"),
    ],
    ids=["embargoed", "killed"],
)
def test_the_preview_shows_embargoed_and_killed_banners(client, state, banner):
    """Staff see why readers cannot see the story; the preview stays private."""
    client.force_login(make_user("rita", "Reporter"))
    story = make_story(headline="Held back", **state)
    response = client.get(reverse("articles:preview", args=[story.pk]))
    html = response.content.decode()
    banner_html = re.search(r'<div class="preview-banner".*?</div>', html, re.S).group()
    assert banner in banner_html
    if "embargo" in state:
        assert "readers cannot see this story before then" in text_of(banner_html)
        assert f'datetime="{iso_seconds(timezone.localtime(story.embargo))}"' in banner_html
    assert "<h1>Held back</h1>" in html
    assert {"private", "no-store"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }


# Every public path


def public_paths(story: Story) -> list[str]:
    return [
        "/",
        "/tags/ceasefire/",
        "/tags/ceasefire/feed/atom/",
        "/places/baku/",
        "/feeds/rss/",
        "/feeds/atom/",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/search/?q=armistice",
        "/api/ninjs/stories/",
        "/fragments/latest-news/",
        story.get_absolute_url(),  # another story: related stories and the sidebar
    ]


@pytest.mark.parametrize("change", ["kill", "embargo"])
def test_a_kill_or_embargo_takes_the_story_off_every_public_path_cached_or_not(
    client, editor, commit, change
):
    """Lists, tag and place pages, feeds, sitemaps, search, the API, related stories and
    the sidebar show the story, are cached, and show it no more once it is killed or put
    under embargo."""
    neighbour = make_story(
        headline="Neighbour", dateline_place="BAKU", tags=["Ceasefire"], ago=timedelta(days=1)
    )
    story = make_story(
        headline="Armistice agreed",
        slug="armistice-agreed",
        dateline_place="BAKU",
        tags=["Ceasefire"],
        sections=[("", ["The armistice holds."])],
    )
    paths = public_paths(neighbour)

    def showing() -> list[str]:
        found = []
        for path in paths:
            body = client.get(path).content.decode()
            if "Armistice agreed" in body or "/armistice-agreed/" in body:
                found.append(path)
        return found

    assert showing() == paths
    assert all(client.get(path).has_header("Age") for path in paths[:-1])  # cached
    with commit():
        if change == "kill":
            services.kill_story(story=story, user=editor)
        else:
            story.embargo = timezone.now() + timedelta(hours=1)
            story.save()
    assert showing() == []
    expected = 410 if change == "kill" else 404
    assert client.get(story.get_absolute_url()).status_code == expected


def test_the_note_is_that_of_the_take_applied_not_of_one_only_kept(client, commit):
    """UPDATE 2 and a late UPDATE 1 stamped the same minute: update 1 is only kept, and the
    page's note is update 2's."""
    with commit():
        story = import_seed()
        for prefix, note in (("UPDATE 2-", "Adds reaction"), ("UPDATE 1-", "Adds toll")):
            services.import_wire_copy(
                data=later_take(prefix, note=note, stamp="21 Sep 2023, 15:00")
            )
    html = client.get(story.get_absolute_url()).content.decode()
    assert '<p class="update-note">Adds reaction</p>' in html
    assert "Adds toll" not in html
