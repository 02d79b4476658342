"""Publishing, scheduling and unpublishing, and who may do them."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles import services
from articles.models import Story
from tests.factories import make_story, make_user, story_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return make_user("eddie", "Editor", first_name="Eddie", last_name="Editor")


def change_url(story):
    return reverse("admin:articles_story_change", args=[story.pk])


def changelist_url():
    return reverse("admin:articles_story_changelist")


def test_publish_service_makes_a_draft_public_now(editor):
    """Publishing a draft gives it the current time and puts it on the site."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    services.publish_story(story=story, user=editor)
    story.refresh_from_db()
    assert story.is_public
    assert timezone.now() - story.published_at < timedelta(minutes=1)
    assert story.version == 2
    revision = Version.objects.get_for_object(story).first().revision
    assert (revision.user, revision.comment) == (editor, "Published")


def test_unpublish_keeps_the_time_for_a_later_return(editor):
    """An unpublished story leaves the site but keeps its time and address."""
    story = make_story()
    url = story.get_absolute_url()
    services.unpublish_story(story=story, user=editor)
    assert not Story.objects.published().exists()
    services.publish_story(story=story, user=editor)
    assert story.get_absolute_url() == url


def test_schedule_service_refuses_a_past_time(editor):
    """Scheduling needs a time in the future."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    with pytest.raises(Exception, match="in the future"):
        services.schedule_story(story=story, user=editor, at=timezone.now() - timedelta(1))
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_reporters_cannot_publish_through_the_service(reporter):
    """The permission is enforced in the workflow itself, not only in the admin."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    for workflow in (services.publish_story, services.unpublish_story):
        with pytest.raises(PermissionDenied):
            workflow(story=story, user=reporter)
    with pytest.raises(PermissionDenied):
        services.schedule_story(story=story, user=reporter, at=timezone.now() + timedelta(1))
    story.refresh_from_db()
    assert (story.status, story.version) == (Story.Status.DRAFT, 1)


def test_editor_publishes_with_the_button(client, editor):
    """ "Save and publish now" saves the edit and publishes in one step."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    client.force_login(editor)
    data = story_form_data(story, headline="Ceasefire holds", _publish="1")
    response = client.post(change_url(story), data)
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Ceasefire holds"
    assert story.is_public
    assert "Ceasefire holds" in client.get("/").content.decode()


def test_editor_schedules_with_the_button_and_it_appears_by_itself(client, editor, monkeypatch):
    """A scheduled story is listed as scheduled and goes live when its time comes."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    at = timezone.now() + timedelta(hours=2)
    client.force_login(editor)
    data = story_form_data(story, _schedule="1")
    data["published_at_0"] = timezone.localtime(at).strftime("%Y-%m-%d")
    data["published_at_1"] = timezone.localtime(at).strftime("%H:%M:%S")
    assert client.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.status == Story.Status.PUBLISHED and not story.is_public
    scheduled = client.get(changelist_url(), {"publication": "scheduled"}).content.decode()
    assert story.headline in scheduled
    assert story.headline not in client.get("/").content.decode()
    later = timezone.now() + timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert story.headline in client.get("/").content.decode()


def test_schedule_button_with_a_past_time_is_a_form_error(client, editor):
    """The form says why, and nothing changes."""
    story = make_story(status=Story.Status.DRAFT, ago=timedelta(days=1))
    client.force_login(editor)
    response = client.post(change_url(story), story_form_data(story, _schedule="1"))
    assert response.status_code == 200
    assert "give a publication time in the future" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_publish_and_unpublish_actions(client, editor):
    """The list's actions publish and unpublish several stories at once."""
    drafts = [make_story(status=Story.Status.DRAFT, ago=None) for _ in range(2)]
    client.force_login(editor)
    ids = [str(s.pk) for s in drafts]
    response = client.post(
        changelist_url(), {"action": "publish_now", "_selected_action": ids}, follow=True
    )
    assert "2 stories published." in response.content.decode()
    assert Story.objects.published().count() == 2
    client.post(changelist_url(), {"action": "unpublish", "_selected_action": ids})
    assert Story.objects.published().count() == 0


def test_schedule_action_asks_for_a_time_then_schedules(client, editor):
    """The schedule action shows a form first and schedules only once confirmed."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    client.force_login(editor)
    ask = client.post(changelist_url(), {"action": "schedule", "_selected_action": [story.pk]})
    assert "Publish at" in ask.content.decode()
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    at = timezone.localtime(timezone.now() + timedelta(days=1))
    client.post(
        changelist_url(),
        {
            "action": "schedule",
            "_selected_action": [story.pk],
            "schedule_at": "1",
            "at_0": at.strftime("%Y-%m-%d"),
            "at_1": at.strftime("%H:%M:%S"),
        },
    )
    story.refresh_from_db()
    assert story.status == Story.Status.PUBLISHED
    assert abs(story.published_at - at) < timedelta(seconds=1)


def test_reporter_creates_drafts_but_a_hand_made_status_is_ignored(client, reporter):
    """Status is read-only for reporters: a POST claiming "published" saves a draft."""
    client.force_login(reporter)
    data = story_form_data(
        Story(headline="Reporter's story", slug="reporters-story"),
        status="published",
        published_at_0="2023-09-21",
        published_at_1="10:00:00",
        sections=[("", "A paragraph.")],
    )
    response = client.post(reverse("admin:articles_story_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    story = Story.objects.get()
    assert (story.status, story.published_at) == (Story.Status.DRAFT, None)
    story_page = client.get(change_url(story)).content.decode()
    assert 'name="_publish"' not in story_page
    data = story_form_data(story, status="published")
    client.post(change_url(story), data)
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_reporter_publish_button_post_is_forbidden(client, reporter):
    """A forged "publish" button press from a reporter is refused outright."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    client.force_login(reporter)
    for button in ("_publish", "_schedule", "_unpublish"):
        response = client.post(change_url(story), story_form_data(story, **{button: "1"}))
        assert response.status_code == 403
    story.refresh_from_db()
    assert (story.status, story.version) == (Story.Status.DRAFT, 1)


def test_reporter_has_no_publishing_actions(client, reporter):
    """The actions are not offered, and a forged action POST changes nothing."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    client.force_login(reporter)
    page = client.get(changelist_url()).content.decode()
    assert 'value="publish_now"' not in page
    for action in ("publish_now", "schedule", "unpublish"):
        client.post(changelist_url(), {"action": action, "_selected_action": [story.pk]})
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_reporter_cannot_change_a_published_story(client, reporter):
    """Once live, a story is the editors' to change: a reporter sees it read-only, and a
    save is refused (403) with their text given back, not stored."""
    story = make_story()
    client.force_login(reporter)
    page = client.get(change_url(story)).content.decode()
    assert 'name="headline"' not in page
    response = client.post(change_url(story), story_form_data(story, headline="Changed"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "so only editors can change it now" in html
    assert "<h2>Changed</h2>" in html
    story.refresh_from_db()
    assert story.headline != "Changed"


def test_story_published_while_a_reporter_edits_gives_their_text_back(client, reporter, editor):
    """The reporter's save after an editor published the draft is refused (403) with who
    published it and everything the reporter wrote; the editor's publication stands."""
    story = make_story(status=Story.Status.DRAFT, ago=None, sections=[("", ["Lead."])])
    opened = story_form_data(story, headline="Reporter's better headline")
    opened["sections-0-body"] = "Reporter's new lead."
    services.publish_story(story=story, user=editor)
    client.force_login(reporter)
    response = client.post(change_url(story), opened)
    html = response.content.decode()
    assert response.status_code == 403
    assert "This story is published (last saved by Eddie Editor at" in html
    assert "Reporter&#x27;s better headline" in html
    assert "Reporter&#x27;s new lead." in html
    story.refresh_from_db()
    assert story.is_public and story.headline != "Reporter's better headline"


def test_published_status_needs_a_time(client, editor):
    """Choosing "Published" without a time is a form error, not an invisible story."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    client.force_login(editor)
    response = client.post(change_url(story), story_form_data(story, status="published"))
    assert response.status_code == 200
    assert "A published story needs a publication time" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_story_deleted_while_editing_gives_the_text_back(client, editor):
    """Saving a story someone deleted meanwhile shows everything the editor wrote."""
    story = make_story(sections=[("", ["Lead."]), ("Truce", ["Body."])])
    data = story_form_data(story, headline="My rewritten headline")
    data["sections-1-body"] = "My rewritten paragraph."
    Story.objects.filter(pk=story.pk).delete()
    client.force_login(editor)
    response = client.post(change_url(story), data)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone deleted this story while you were editing it" in html
    assert "My rewritten headline" in html and "My rewritten paragraph." in html
    assert reverse("admin:articles_story_recoverlist") in html
