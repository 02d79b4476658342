"""No lost updates: two editors on one story never overwrite each other unseen."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from articles import services
from articles.models import Story
from articles.services import history
from tests.factories import make_story, make_user, story_form_data


def change_url(story):
    return reverse("admin:articles_story_change", args=[story.pk])


@pytest.mark.django_db
def test_second_save_from_the_same_version_is_refused_with_who_and_what(client):
    """Both open version 1; the second save is refused, names the first editor and what
    they changed, keeps the second editor's text in the form, and links to the diff."""
    alice = make_user("alice", "Editor", first_name="Alice", last_name="Aliyeva")
    bob = make_user("bob", "Editor")
    story = make_story(headline="Original headline", sections=[("", ["Lead."])])
    opened_by_both = story_form_data(story)

    client.force_login(alice)
    alice_edit = dict(opened_by_both, headline="Alice's headline")
    assert client.post(change_url(story), alice_edit).status_code == 302

    client.force_login(bob)
    bob_edit = dict(opened_by_both, **{"sections-0-body": "Bob's new lead paragraph."})
    response = client.post(change_url(story), bob_edit)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Alice Aliyeva saved this story" in html
    assert "changed headline" in html
    assert "Your changes are not saved yet" in html
    assert "Bob&#x27;s new lead paragraph." in html
    opened = history.version_for(story.pk, 1)
    assert reverse("admin:articles_story_compare", args=[story.pk, opened.pk]) in html
    story.refresh_from_db()
    assert story.headline == "Alice's headline"
    assert story.sections.get().body == "Lead."
    assert story.version == 2


@pytest.mark.django_db
def test_reloaded_form_saves_on_top_of_the_other_change(client):
    """After reloading (the new version), the second editor's save goes through."""
    editor = make_user("eve", "Editor")
    story = make_story()
    client.force_login(editor)
    stale = story_form_data(story)
    services.save_story(story=story, expected_version=1, user=editor)
    assert client.post(change_url(story), stale).status_code == 200
    story.refresh_from_db()
    fresh = story_form_data(story, headline="Second try")
    assert client.post(change_url(story), fresh).status_code == 302
    story.refresh_from_db()
    assert (story.headline, story.version) == ("Second try", 3)


@pytest.mark.django_db
def test_service_checks_the_version_in_the_update():
    """A service save from an old version raises StaleEdit and writes nothing."""
    editor = make_user("ed", "Editor")
    story = make_story(headline="First")
    services.save_story(story=story, expected_version=1, user=editor)
    old_copy = Story.objects.get(pk=story.pk)
    old_copy.headline = "Overwrite"
    with pytest.raises(services.StaleEdit):
        services.save_story(story=old_copy, expected_version=1, user=editor)
    assert Story.objects.get(pk=story.pk).headline == "First"


@pytest.mark.django_db(transaction=True)
def test_two_connections_saving_at_once_cannot_both_win():
    """On PostgreSQL, two sessions saving the same version at the same moment: one wins,
    the other is refused, and the winner's text is what is stored."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and concurrent connections")
    editor = make_user("ed", "Editor")
    story = make_story(headline="Start")
    ready = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(headline: str) -> None:
        try:
            mine = Story.objects.get(pk=story.pk)
            ready.wait(timeout=10)
            mine.headline = headline
            services.save_story(story=mine, expected_version=1, user=editor)
            outcomes[headline] = "saved"
        except services.StaleEdit:
            outcomes[headline] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(h,)) for h in ("From A", "From B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["refused", "saved"]
    winner = next(h for h, outcome in outcomes.items() if outcome == "saved")
    story.refresh_from_db()
    assert (story.headline, story.version) == (winner, 2)
