"""The wire lifecycle end to end, as an operator runs it: files through
``manage.py import_wire --publish``, then what readers get on every public path. The suite
runs on SQLite and on PostgreSQL, so these flows do too."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles.models import Correction, Story
from articles.site.structured_data import iso_seconds
from tests.factories import story_form_data
from tests.services.takes_helpers import (
    HEADLINE,
    NEW_TOLL,
    OLD_TOLL,
    SAMPLES,
    later_take,
    seed_text,
)
from tests.site.test_lifecycle_pages import json_ld, text_of

pytestmark = pytest.mark.django_db

UPDATE_NOTE = "Adds death toll in paragraph 1"
CORRECTION_NOTE = "Corrects death toll in paragraph 1"


def public_paths(word: str) -> list[str]:
    """Every public list a BAKU story reached by ``word`` is on (its own page aside)."""
    return [
        "/",
        "/places/baku/",
        "/feeds/rss/",
        "/feeds/atom/",
        "/sitemap.xml",
        f"/search/?q={word}",
        "/api/ninjs/stories/",
    ]


def showing(client, story: Story, word: str) -> list[str]:
    """The public paths whose answer names ``story`` by its headline or its address."""
    found = []
    for path in public_paths(word):
        body = client.get(path).content.decode()
        if story.headline in body or f"/{story.slug}/" in body:
            found.append(path)
    return found


@pytest.fixture
def import_files(tmp_path, commit, capsys):
    """``import_files(name=text, ...)``: the files written and imported in one run with
    ``--publish``, what commit sets off run at its end; the command's output lines."""

    def run(**texts: str) -> list[str]:
        paths = []
        for name, text in texts.items():
            path = Path(tmp_path, f"{name}.txt")
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        capsys.readouterr()
        with commit():
            call_command("import_wire", *paths, "--publish", verbosity=1)
        return capsys.readouterr().out.splitlines()

    return run


@pytest.fixture
def original(import_files, client) -> Story:
    """The seed's first take, imported and published."""
    (line,) = import_files(original=seed_text())
    story = Story.objects.get()
    assert line.endswith(f"imported as story {story.pk} (published): {HEADLINE}")
    return story


def test_an_original_take_is_public_everywhere(client, original):
    page = client.get(original.get_absolute_url())
    assert page.status_code == 200
    assert OLD_TOLL in text_of(page.content.decode())
    assert "Updated" not in text_of(page.content.decode())
    assert showing(client, original, "Karabakh") == public_paths("Karabakh")
    document = client.get(reverse("articles:api_story", args=[original.pk])).json()
    assert document["pubstatus"] == "usable"
    assert document["headlines"] == [{"role": "main", "value": HEADLINE}]


def test_an_update_replaces_the_text_at_the_same_address(client, editor, original, import_files):
    """Same address, new text, an "Updated" line with the note, dateModified and Atom's
    <updated> at the take's time, the feed item's id kept, two takes in the history."""
    address = original.get_absolute_url()
    atom_before = feedparser.parse(client.get("/feeds/atom/").content).entries[0]
    (line,) = import_files(update=later_take(note=UPDATE_NOTE))
    assert line.endswith(f'joined "{HEADLINE}" (story {original.pk}) as update 1')
    story = Story.objects.get()
    assert story.get_absolute_url() == address
    html = client.get(address).content.decode()
    text = text_of(html)
    assert NEW_TOLL in text and OLD_TOLL not in text
    first, update = story.takes.order_by("received_at")
    revised = update.received_at  # the update's timestamp line: 4 h 15 min after the first
    assert revised - first.received_at == timedelta(hours=4, minutes=15)
    assert story.revised_at == revised
    assert f"· Updated {timezone.localtime(revised):%-d %B %Y, %H:%M}" in text
    assert f'<p class="update-note">{UPDATE_NOTE}</p>' in html
    assert json_ld(html)["dateModified"] == iso_seconds(revised)
    atom_after = feedparser.parse(client.get("/feeds/atom/").content).entries[0]
    assert atom_after.id == atom_before.id
    assert atom_after.updated == timezone.localtime(revised).isoformat()
    assert [(take.kind, take.revision, take.note) for take in (first, update)] == [
        ("original", None, ""),
        ("update", 1, UPDATE_NOTE),
    ]
    client.force_login(editor)
    history = text_of(
        client.get(reverse("admin:articles_story_history", args=[story.pk])).content.decode()
    )
    received = f"{timezone.localtime(revised):%-d %B %Y, %H:%M}"
    assert f"Update 1, received {received}: {HEADLINE}" in history
    assert f"Note: {UPDATE_NOTE}" in history


def test_a_correction_is_noticed_on_the_page_the_corrections_page_and_json_ld(
    client, original, import_files
):
    import_files(correction=later_take("CORRECTED-", note=CORRECTION_NOTE))
    correction = Correction.objects.get()
    assert (correction.story_id, correction.text) == (original.pk, CORRECTION_NOTE)
    day = f"{timezone.localtime(correction.published_at):%-d %B %Y}"
    html = client.get(original.get_absolute_url()).content.decode()
    assert f"Correction, {day}: {CORRECTION_NOTE}" in text_of(html)
    assert NEW_TOLL in text_of(html)
    assert json_ld(html)["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": CORRECTION_NOTE,
            "datePublished": iso_seconds(correction.published_at),
        }
    ]
    listing = text_of(client.get(reverse("articles:corrections")).content.decode())
    stamp = f"{timezone.localtime(correction.published_at):%-d %B %Y, %H:%M %Z}"
    assert f"{HEADLINE} Correction, {stamp} {CORRECTION_NOTE}" in listing
    feed = feedparser.parse(client.get(reverse("articles:corrections_feed")).content)
    assert [entry.link for entry in feed.entries] == [
        f"http://testserver{original.get_absolute_url()}#correction-{correction.pk}"
    ]


def test_a_kill_takes_the_story_off_every_public_path(client, original, import_files):
    """Seen (and cached) everywhere, then killed: 410 at its address, on no list, feed,
    sitemap, search or API list; ninjs says canceled; the desk keeps it."""
    assert showing(client, original, "Karabakh") == public_paths("Karabakh")
    (line,) = import_files(kill=later_take("KILL-", note=None, stamp="21 Sep 2023, 15:00"))
    assert line.endswith(f'joined "{HEADLINE}" (story {original.pk}) as kill notice')
    assert showing(client, original, "Karabakh") == []
    page = client.get(original.get_absolute_url())
    assert page.status_code == 410
    assert HEADLINE not in page.content.decode()
    document = client.get(reverse("articles:api_story", args=[original.pk])).json()
    assert document["pubstatus"] == "canceled"
    assert "bodies" not in document and "headlines" not in document
    story = Story.objects.get()
    assert story.status == Story.Status.KILLED
    assert story.sections.exists() and story.takes.count() == 2


def test_embargoed_copy_is_on_no_public_path_until_the_embargo_passes(
    client, import_files, monkeypatch
):
    """The embargoed sample, imported with --publish at 20:30 GMT the evening before its
    embargo (0001 GMT): on no path, cached or not; then the clock reaches 00:02 and it is
    on all of them by itself, with nothing run."""
    monkeypatch.setattr(timezone, "now", lambda: datetime(2023, 9, 21, 20, 30, tzinfo=UTC))
    import_files(embargoed=(SAMPLES / "embargoed.txt").read_text(encoding="utf-8"))
    story = Story.objects.get()
    assert story.embargo == datetime(2023, 9, 22, 0, 1, tzinfo=UTC)
    assert story.status == Story.Status.PUBLISHED
    assert showing(client, story, "Yevlakh") == []
    assert client.get(story.get_absolute_url()).status_code == 404
    assert client.get(reverse("articles:api_story", args=[story.pk])).status_code == 404
    monkeypatch.setattr(timezone, "now", lambda: datetime(2023, 9, 22, 0, 2, tzinfo=UTC))
    assert showing(client, story, "Yevlakh") == public_paths("Yevlakh")
    assert "Envoys said talks would resume" in client.get(story.get_absolute_url()).text


def test_a_slug_change_in_the_desk_moves_the_address_with_a_301(client, editor, original):
    old = original.get_absolute_url()
    client.force_login(editor)
    change = reverse("admin:articles_story_change", args=[original.pk])
    response = client.post(change, story_form_data(original, slug="karabakh-surrender"))
    assert response.status_code == 302
    client.logout()
    new = Story.objects.get().get_absolute_url()
    assert new == old.replace(original.slug, "karabakh-surrender")
    moved = client.get(old)
    assert (moved.status_code, moved["Location"]) == (301, new)
    assert HEADLINE in client.get(new).content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()
    assert new in sitemap and old not in sitemap
