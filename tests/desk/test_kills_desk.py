"""Killing and reinstating in the desk: editors only, from the change form or the list,
with a note; a killed story's form says so, and it comes back as it was before."""

import pytest
from django.urls import reverse

from articles import services
from articles.models import Correction, Story
from articles.services import history
from tests.desk.test_lifecycle_desk import LIST_URL, change_url
from tests.factories import make_story, story_form_data

pytestmark = pytest.mark.django_db


def test_status_offers_no_kill_and_a_killed_story_says_so(client, editor):
    """The status select has no "Killed" (kills have their own page); a killed story's
    form says it is killed, keeps its status read-only and offers Reinstate, not Publish."""
    live = make_story()
    client.force_login(editor)
    html = client.get(change_url(live)).content.decode()
    assert 'value="killed"' not in html
    assert reverse("admin:articles_story_kill", args=[live.pk]) in html
    services.kill_story(story=live, user=editor)
    html = client.get(change_url(live)).content.decode()
    assert "This story is killed." in html
    assert "410 Gone" in html
    assert reverse("admin:articles_story_reinstate", args=[live.pk]) in html
    assert 'name="status"' not in html
    assert 'name="_publish"' not in html


@pytest.mark.parametrize("button", ["_publish", "_unpublish"])
def test_publication_buttons_posted_on_a_killed_story_are_refused(client, editor, button):
    """Even posted by hand, "publish now" does not bring back a killed story, nor does
    "unpublish" make it a draft: the form says why, and nothing changes."""
    story = make_story()
    services.kill_story(story=story, user=editor)
    story.refresh_from_db()
    client.force_login(editor)
    response = client.post(change_url(story), story_form_data(story, **{button: "1"}))
    assert response.status_code == 200
    assert "This story was killed" in response.content.decode()
    assert Story.objects.values_list("status", "version").get(pk=story.pk) == (
        Story.Status.KILLED,
        story.version,
    )


# Kill and reinstate ----------------------------------------------------------------------


def test_an_editor_kills_with_a_note_and_reinstates(client, editor, commit):
    """The kill page asks to confirm; the kill keeps the note in the history; reinstating
    brings the story back at its address."""
    story = make_story(headline="Minister resigns")
    kill_url = reverse("admin:articles_story_kill", args=[story.pk])
    client.force_login(editor)
    page = client.get(kill_url).content.decode()
    assert "Yes, kill this story" in page and 'name="note"' in page
    with commit():
        response = client.post(
            kill_url, {"note": "Legal <b>advice</b>", "expected_version": story.version}
        )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Story.Status.KILLED
    assert history.story_versions(story.pk).first().revision.comment == (
        "Killed: Legal <b>advice</b>"
    )
    assert client.get(story.get_absolute_url()).status_code == 410
    with commit():
        response = client.post(
            reverse("admin:articles_story_reinstate", args=[story.pk]),
            {"expected_version": story.version},
        )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Story.Status.PUBLISHED
    assert client.get(story.get_absolute_url()).status_code == 200


def test_a_kill_on_a_stale_version_is_refused(client, editor):
    """Someone saved the story after the kill page was opened: nothing is killed."""
    story = make_story()
    client.force_login(editor)
    opened = story.version
    services.save_story(story=story, expected_version=story.version, user=editor)
    response = client.post(
        reverse("admin:articles_story_kill", args=[story.pk]), {"expected_version": opened}
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Story.Status.PUBLISHED


def test_kill_action_asks_for_a_note_then_kills_each_story(client, editor):
    """The list's kill action confirms first, then kills every selected story."""
    stories = [make_story(headline=f"Story {n}") for n in range(2)]
    client.force_login(editor)
    selected = {"action": "kill", "_selected_action": [s.pk for s in stories]}
    page = client.post(LIST_URL, selected)
    assert page.status_code == 200 and "Yes, kill these stories" in page.content.decode()
    assert Story.objects.killed().count() == 0
    response = client.post(LIST_URL, {**selected, "confirm_kill": "1", "note": "Withdrawn"})
    assert response.status_code == 302
    assert set(Story.objects.killed()) == set(stories)
    response = client.post(LIST_URL, {"action": "reinstate", "_selected_action": stories[0].pk})
    assert list(Story.objects.killed()) == [stories[1]]


def test_unpublishing_a_killed_story_is_refused_and_it_stays_killed(client, editor):
    """The list's unpublish action would make a killed story a draft, losing the kill (its
    410, ninjs canceled): refused with the reason; the live story beside it goes."""
    killed = make_story(headline="Killed one", status=Story.Status.KILLED)
    live = make_story(headline="Live one")
    client.force_login(editor)
    response = client.post(
        LIST_URL, {"action": "unpublish", "_selected_action": [killed.pk, live.pk]}, follow=True
    )
    said = [str(message) for message in response.context["messages"]]
    assert said == [
        "“Killed one”: This story was killed: it is off the site already. Reinstate it "
        "first to make it a draft.",
        "1 story unpublished.",
    ]
    assert Story.objects.get(pk=killed.pk).status == Story.Status.KILLED
    assert Story.objects.get(pk=live.pk).status == Story.Status.DRAFT


@pytest.mark.parametrize("name", ["articles_story_kill", "articles_story_reinstate"])
def test_reporters_cannot_kill_or_reinstate(client, reporter, editor, name):
    """A reporter's GET and POST are refused with 403, and nothing changes."""
    live, killed = make_story(), make_story()
    services.kill_story(story=killed, user=editor)
    story = live if name == "articles_story_kill" else killed
    client.force_login(reporter)
    url = reverse(f"admin:{name}", args=[story.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"expected_version": story.version}).status_code == 403
    assert Story.objects.get(pk=story.pk).status == story.status
    assert Story.objects.get(pk=story.pk).version == story.version
    assert Correction.objects.count() == 0


def test_reinstating_brings_back_the_state_before_the_kill(editor, commit):
    """A published story comes back published; a draft killed by a wire notice comes back
    a draft, never published by the reinstatement."""
    live = make_story(headline="Live")
    draft = make_story(headline="Draft", status=Story.Status.DRAFT)
    for story in (live, draft):
        with commit():
            services.kill_story(story=story, user=editor)
        with commit():
            services.reinstate_story(story=Story.objects.get(pk=story.pk), user=editor)
    assert Story.objects.get(pk=live.pk).status == Story.Status.PUBLISHED
    assert Story.objects.get(pk=draft.pk).status == Story.Status.DRAFT
    assert not Story.objects.published().filter(pk=draft.pk).exists()
    (latest, *_) = history.story_versions(draft.pk)
    assert latest.revision.comment == "Reinstated as a draft"


def test_a_story_killed_with_no_history_from_before_comes_back_a_draft(editor, commit):
    """Made without a revision (a fixture, say), killed, reinstated: its history cannot
    say it was public, so it comes back a draft rather than published by mistake."""
    story = Story.objects.create(
        headline="No history", slug="no-history", status=Story.Status.KILLED
    )
    with commit():
        services.reinstate_story(story=story, user=editor)
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT
    (latest,) = history.story_versions(story.pk)
    assert latest.revision.comment == "Reinstated as a draft"
