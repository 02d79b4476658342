"""ninjs through a story's life: its version and when it was made, a killed story
``canceled``, and embargoed or never-public stories hidden as drafts are."""

import copy
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator

from articles import services
from articles.models import Story
from tests.api.test_api import SCHEMA, assert_valid, detail_url, get_json
from tests.factories import make_story

pytestmark = pytest.mark.django_db

# The canceled document: every field it carries checked as in a full one, the text gone.
CANCELED_SCHEMA = copy.deepcopy(SCHEMA)
CANCELED_SCHEMA["required"] = [
    "uri",
    "standard",
    "type",
    "version",
    "versioncreated",
    "pubstatus",
]
CANCELED = Draft202012Validator(
    CANCELED_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)


def test_a_live_story_carries_its_version_and_when_readers_were_told(
    client, editor, commit, monkeypatch
):
    """``version`` is the story's version; ``versioncreated`` when that version was made:
    the published correction's time (revised_at), then the desk's save after it."""
    story = make_story(headline="Truce signed", ago=timedelta(days=1))
    document = get_json(client, detail_url(story.pk))
    assert (document["version"], document["pubstatus"]) == (str(story.version), "usable")
    with commit():
        services.prepare_correction(story=story, user=editor, text="Fixed.", publish=True)
    story.refresh_from_db()
    corrected = get_json(client, detail_url(story.pk))
    assert corrected["versioncreated"] == timezone.localtime(story.revised_at).isoformat(
        timespec="seconds"
    )
    story.headline = "Truce signed in Yevlakh"
    later = timezone.now() + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)  # the desk's fix, an hour on
    with commit():
        services.save_story(story=story, expected_version=story.version, user=editor)
    document = get_json(client, detail_url(story.pk))
    assert_valid(document)
    story.refresh_from_db()
    assert document["version"] == str(story.version) != "1"
    assert document["versioncreated"] == timezone.localtime(story.updated_at).isoformat(
        timespec="seconds"
    )
    assert story.updated_at == later
    assert document["versioncreated"] > corrected["versioncreated"] > document["firstcreated"]


def test_a_killed_story_is_canceled_with_no_text(client, editor, commit):
    """200 with ``pubstatus: canceled``, its uri, version and time, and nothing it said;
    gone from the list; a reinstatement makes it usable again (the cached answer purged)."""
    story = make_story(headline="Libellous claim", sections=[("", ["Secret words."])])
    url = detail_url(story.pk)
    get_json(client, url)  # cached while live
    with commit():
        services.kill_story(story=story, user=editor, note="Legal")
    story.refresh_from_db()
    response = client.get(url)
    document = response.json()
    assert response.status_code == 200
    assert document == {
        "uri": "http://testserver" + story.get_absolute_url(),
        "standard": {
            "name": "ninjs",
            "version": "2.1",
            "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json",
        },
        "type": "text",
        "version": str(story.version),
        "versioncreated": timezone.localtime(story.updated_at).isoformat(timespec="seconds"),
        "pubstatus": "canceled",
    }
    assert not list(CANCELED.iter_errors(document))
    assert "Libellous" not in response.content.decode()
    assert f"story-{story.pk}" in response["Surrogate-Key"].split()
    assert get_json(client, reverse("articles:api_stories"))["items"] == []
    with commit():
        services.reinstate_story(story=story, user=editor)
    document = get_json(client, url)
    assert document["pubstatus"] == "usable"
    assert_valid(document)


@pytest.mark.parametrize(
    "state",
    [
        {"status": Story.Status.DRAFT, "ago": None},
        {"embargo": timezone.now() + timedelta(hours=1)},
        {"ago": -timedelta(hours=1)},
    ],
    ids=["draft", "embargoed", "scheduled"],
)
def test_hidden_stories_are_404_killed_or_not(client, editor, state):
    """An embargoed, scheduled or draft story is a 404, and stays one once killed: a kill
    never tells that a story readers never saw existed (a draft with a time that has come
    may have been out before it was unpublished: nothing records it, so it answers as a
    killed story does)."""
    story = make_story(headline="Hidden", **state)
    assert get_json(client, detail_url(story.pk), status=404) == {"error": "no such story"}
    assert get_json(client, reverse("articles:api_stories"))["items"] == []
    Story.objects.filter(pk=story.pk).update(status=Story.Status.KILLED)
    assert get_json(client, detail_url(story.pk), status=404) == {"error": "no such story"}


def test_an_embargoed_story_appears_when_its_embargo_passes(client, monkeypatch):
    """The same story is a 404 before its embargo and a usable document after it."""
    embargo = timezone.now() + timedelta(hours=1)
    story = make_story(headline="Held", embargo=embargo)
    assert client.get(detail_url(story.pk)).status_code == 404
    later = embargo + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    document = get_json(client, detail_url(story.pk))
    assert document["headlines"][0]["value"] == "Held"
    assert_valid(document)
