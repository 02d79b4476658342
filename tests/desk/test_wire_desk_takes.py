"""The wire desk with later takes: the preview names the story a take belongs to, and the
editor chooses that story, another, or a new story of its own."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from articles import services
from articles.models import Correction, Story
from tests.factories import make_story
from tests.services.takes_helpers import (
    HEADLINE,
    NEW_TOLL,
    OLD_TOLL,
    first_paragraph,
    import_seed,
    later_take,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def url():
    return reverse("admin:articles_story_wire_desk")


def told(response) -> str:
    """The messages the desk left for the page after its redirect."""
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def squeeze(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_preview_of_an_update_names_its_story(
    admin_client, url, django_assert_max_num_queries
):
    """ "Update of:" with the story linked to its change page, the note and embargo shown,
    and the story it belongs to chosen; nothing is saved."""
    story = import_seed()
    copy = later_take(embargo="2099-01-01 00:01 GMT")
    with django_assert_max_num_queries(12):
        response = admin_client.post(url, {"copy": copy, "_preview": "Preview"})
    html = squeeze(response)
    change_url = reverse("admin:articles_story_change", args=[story.pk])
    assert f'<strong>Update of:</strong> <a href="{change_url}">{escape(HEADLINE)}</a>' in html
    assert "Adds death toll in paragraph 1" in html
    assert "Embargoed until" in html and 'datetime="2099-01-01T00:01:00+00:00"' in html
    assert f'name="story" value="{story.pk}"' in html
    assert re.search(r'<input[^>]*name="target" value="story"[^>]*checked', html)
    assert 'name="_create" value="Save"' in html
    assert Story.objects.get(pk=story.pk).takes.count() == 1


@pytest.mark.parametrize(
    ("prefix", "note", "label"),
    [
        ("CORRECTED-", "Corrects the toll", "Correction of"),
        ("KILL-", None, "Kill of"),
        ("REFILE-", None, "Refile of"),
    ],
)
def test_each_kind_of_take_says_what_it_is_of(admin_client, url, prefix, note, label):
    import_seed()
    copy = later_take(prefix, note=note)
    response = admin_client.post(url, {"copy": copy, "_preview": "Preview"})
    assert f"<strong>{label}:</strong> <a href=" in squeeze(response)


def test_saving_the_chosen_story_applies_the_update(admin_client, url):
    story = import_seed()
    response = admin_client.post(
        url, {"copy": later_take(), "target": "story", "story": story.pk, "_create": "1"}
    )
    assert response["Location"] == reverse("admin:articles_story_change", args=[story.pk])
    assert Story.objects.get(pk=story.pk).takes.count() == 2
    assert NEW_TOLL in first_paragraph(story)
    assert Story.objects.count() == 1


def test_an_older_take_is_kept_and_the_editor_told_so(admin_client, url):
    """The story has update 2 already: update 1, saved from the desk, changes nothing."""
    story = import_seed()
    second = "a military operation that they said killed 213 people."
    services.import_wire_copy(
        data=later_take("UPDATE 2-", stamp="21 Sep 2023, 15:00", text=(OLD_TOLL, second))
    )
    response = admin_client.post(
        url, {"copy": later_take(), "target": "story", "story": story.pk, "_create": "1"}
    )
    assert told(response) == (
        f"“{HEADLINE}” has a newer update 2 than this update 1: it is kept in the story's "
        "history, and the story's text is unchanged."
    )
    assert second in first_paragraph(story)
    assert story.takes.count() == 3


def test_a_take_with_no_story_says_why_and_imports_as_new(admin_client, url):
    """No match: the preview says why and offers a new story, chosen by default."""
    import_seed()
    copy = later_take(credit="Reuters")
    html = squeeze(admin_client.post(url, {"copy": copy, "_preview": "Preview"}))
    assert "<strong>Update of:</strong> no story found (update with no earlier story" in html
    assert re.search(r'<input[^>]*name="target" value="new"[^>]*checked', html)
    assert 'value="story"' not in html
    response = admin_client.post(
        url, {"copy": copy, "target": "new", "tags": "Karabakh", "_create": "1"}
    )
    new = Story.objects.latest("pk")
    assert (new.status, new.takes.get().kind, list(new.tags.names())) == (
        "draft",
        "update",
        ["Karabakh"],
    )
    assert "is saved as a draft" in told(response)


def test_choosing_import_as_new_keeps_a_matched_update_apart(admin_client, url):
    story = import_seed()
    admin_client.post(url, {"copy": later_take(), "target": "new", "_create": "1"})
    assert Story.objects.count() == 2
    assert Story.objects.get(pk=story.pk).takes.count() == 1


def test_choosing_another_story_adds_the_take_to_it(admin_client, url):
    """The editor knows better: another story, by its id, from the suggestions."""
    import_seed()
    filed = datetime(2023, 9, 21, 6, tzinfo=UTC)
    other = make_story(headline="Karabakh talks", dateline_place="BAKU", published_at=filed)
    preview = squeeze(admin_client.post(url, {"copy": later_take(), "_preview": "Preview"}))
    assert f"<td>{other.pk}</td><td>Karabakh talks</td>" in preview
    admin_client.post(
        url, {"copy": later_take(), "target": "other", "other_story": other.pk, "_create": "1"}
    )
    other = Story.objects.get(pk=other.pk)
    assert other.headline == HEADLINE
    assert other.takes.get().kind == "update"


def test_another_story_without_its_id_is_an_error_on_the_preview(admin_client, url):
    import_seed()
    response = admin_client.post(url, {"copy": later_take(), "target": "other", "_create": "1"})
    assert response.status_code == 200
    assert "Give the id of the story to add this take to." in response.content.decode()
    assert Story.objects.get().takes.count() == 1


def test_a_reporter_is_told_a_published_story_is_for_editors(client, reporter, url):
    """The refusal comes back on the preview, in words; nothing is written."""
    client.force_login(reporter)
    story = import_seed()
    response = client.post(
        url, {"copy": later_take(), "target": "story", "story": story.pk, "_create": "1"}
    )
    assert response.status_code == 200
    assert "is published: only editors can apply a take to it." in response.content.decode()
    assert Story.objects.get(pk=story.pk).takes.count() == 1


def test_an_editor_s_correction_from_the_desk_is_published(client, editor, url):
    client.force_login(editor)
    story = import_seed()
    copy = later_take("CORRECTED-", note="Corrects the toll")
    response = client.post(
        url, {"copy": copy, "target": "story", "story": story.pk, "_create": "1"}
    )
    assert "now has the correction from the wire" in told(response)
    assert Correction.objects.get().is_published


def test_a_take_imported_before_links_to_its_story(admin_client, url):
    story = import_seed()
    services.import_wire_copy(data=later_take())
    html = squeeze(admin_client.post(url, {"copy": later_take(), "_preview": "Preview"}))
    assert "This copy is already imported:" in html
    assert reverse("admin:articles_story_change", args=[story.pk]) in html
    assert 'name="_create"' not in html
