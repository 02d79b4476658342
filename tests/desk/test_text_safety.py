"""Text is checked once, where it comes in: nothing the feeds cannot carry is ever stored.

A vertical tab typed in the desk once made both feeds answer 500
(``UnserializableContentError``); U+FFFF made them answer XML that does not parse.
"""

import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from articles import search, services
from articles.models import Story
from articles.services.fixtures import DEMO_FIXTURE
from tests.factories import make_story, make_user, story_form_data


@pytest.fixture
def editor_client(client, db):
    client.force_login(make_user("eddie", "Editor"))
    return client


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("headline", "Talks resume\vin Baku", "U+000B"),
        ("standfirst", "Both sides\x0c agree", "U+000C"),
        ("byline", "Jane\uffffDoe", "U+FFFF"),
        ("dateline_place", "BAKU\x1b", "U+001B"),
        ("tags", '"Baku\ufffe", Armenia', "U+FFFE"),
    ],
)
def test_the_story_form_refuses_what_feeds_cannot_carry(editor_client, field, value, named):
    """The desk names the character and where it is; nothing is saved."""
    story = make_story(headline="Talks resume in Baku", tags=["Baku"])
    url = reverse("admin:articles_story_change", args=[story.pk])
    response = editor_client.post(url, story_form_data(story, **{field: value}))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Remove the invisible character {named}" in page
    story.refresh_from_db()
    assert (story.headline, story.version, list(story.tags.names())) == (
        "Talks resume in Baku",
        1,
        ["Baku"],
    )


def test_a_section_with_a_control_character_is_refused(editor_client):
    """Subheadings and paragraphs are checked like every other field."""
    story = make_story(sections=[("", ["Lead."])])
    url = reverse("admin:articles_story_change", args=[story.pk])
    data = story_form_data(story, sections=[("", ["Lead."]), ("Truce\x07 deal", ["More."])])
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "Remove the invisible character U+0007" in response.content.decode()
    assert story.sections.count() == 1


def test_a_sidecar_tag_with_a_control_character_is_refused(tmp_path):
    """The importer's sidecar names the file, the tag and the character."""
    copy = tmp_path / "story.txt"
    copy.write_text("Headline\n\nBAKU (AFP) - Text.\n", encoding="utf-8")
    copy.with_suffix(".toml").write_text('tags = ["Ba\\u000bku"]\n', encoding="utf-8")
    with pytest.raises(services.SidecarError, match=r"story.toml: tag 'Ba\\x0bku' has U\+000B"):
        services.read_sidecar(copy)


def test_feeds_and_sitemaps_parse_with_awkward_but_allowed_text(client, db):
    """Tabs, RTL marks, emoji and astral characters are kept, and the XML still parses."""
    make_story(
        headline="\u202bمرحبا\u202c and 🌍 in\ttabs",
        standfirst="𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200f",
        tags=["日本", "!!!"],
    )
    for url in ("/feeds/rss/", "/feeds/atom/", "/sitemap.xml", "/news-sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        ET.fromstring(response.content)
    assert "🌍" in client.get("/feeds/rss/").content.decode()


def test_the_loaded_demo_is_searchable_without_another_command(
    db, django_capture_on_commit_callbacks
):
    """``loaddata fixtures/demo.json`` leaves the story findable by search."""
    # PostgreSQL's stored vectors are filled on load; SQLite's index by its triggers.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("loaddata", DEMO_FIXTURE, verbosity=0)
    story = Story.objects.get()
    found = list(search.search_stories("Karabakh separatists"))
    assert [s.pk for s in found] == [story.pk]
    if search.is_postgresql():
        assert Story.objects.filter(pk=story.pk, search_vector__isnull=False).exists()


def test_wire_copy_with_a_form_feed_publishes_feeds_that_parse(client, db):
    """A form feed in agency copy (once a 500 on both feeds) is a paragraph break."""
    copy = (
        "21 Sep 2023, 09:55\n\nTalks resume\n\n"
        "BAKU, Sept 21, 2023 (AFP) - Talks resumed.\x0cBoth sides met.\n"
    )
    result = services.import_wire_copy(data=copy.encode(), publish=True)
    assert [s.paragraphs for s in result.story.sections.all()] == [
        ["Talks resumed.", "Both sides met."]
    ]
    assert result.story.source_text == copy
    for url in ("/feeds/rss/", "/feeds/atom/", "/news-sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        ET.fromstring(response.content)
    atom = client.get("/feeds/atom/").content.decode()
    assert "Talks resumed." in atom and "\x0c" not in atom


def test_a_revision_with_unpublishable_text_is_not_restored(editor_client):
    """Words saved before the forms refused them (a vertical tab) are never brought back."""
    from reversion.models import Version

    story = make_story(headline="Talks\vresume")  # as an older release let it be stored
    story.headline = "Talks resume"
    editor = get_user_model().objects.get(username="eddie")
    services.save_story(story=story, expected_version=1, user=editor)
    first = Version.objects.get_for_object(story).order_by("pk").first()
    url = reverse("admin:articles_story_compare", args=[story.pk, first.pk])
    response = editor_client.post(url, {"expected_version": 2}, follow=True)
    assert "That revision&#x27;s headline has U+000B" in response.content.decode()
    story.refresh_from_db()
    assert (story.headline, story.version) == ("Talks resume", 2)


def test_a_deleted_story_with_unpublishable_text_is_not_recovered(db):
    """Recovering refuses the same way, naming the part and the character."""
    from django.core.exceptions import ValidationError
    from reversion.models import Version

    editor = make_user("eddie", "Editor")
    story = make_story(byline="Jane\uffffDoe")
    services.delete_stories(stories=[story], user=editor)
    deleted = Version.objects.get_deleted(Story).get()
    with pytest.raises(ValidationError, match="That revision's byline has U\\+FFFF"):
        services.recover_story(version=deleted, user=editor)
    assert not Story.objects.exists()
