"""Revisions: every save is kept with who and when, can be compared, restored, recovered."""

import pytest
from django.urls import reverse
from reversion.models import Version

from articles import services
from articles.models import Story
from articles.services import history
from tests.factories import make_story, make_user, story_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


def edit_in_admin(client, story, **changes):
    url = reverse("admin:articles_story_change", args=[story.pk])
    response = client.post(url, story_form_data(story, **changes))
    assert response.status_code == 302, response.content.decode()[:3000]
    story.refresh_from_db()
    return story


def test_every_admin_save_keeps_a_revision_with_who_and_when(client, editor):
    """Two saves, two more revisions, each with the editor's name."""
    story = make_story(tags=["Baku"])
    edit_in_admin(client, story, headline="Second headline")
    edit_in_admin(client, story, headline="Third headline")
    versions = list(history.story_versions(story.pk))
    assert len(versions) == 3
    assert [v.revision.user for v in versions[:2]] == [editor, editor]
    assert versions[0].field_dict["headline"] == "Third headline"
    assert versions[0].field_dict["version"] == 3


def test_revision_keeps_sections_and_tags_with_the_story(client, editor):
    """A snapshot of a revision holds the subheadings, paragraphs and tag names."""
    story = make_story(sections=[("", ["Lead."]), ("Truce deal", ["One.", "Two."])], tags=["Baku"])
    snapshot = history.snapshot_of_version(history.story_versions(story.pk).first())
    assert snapshot.sections == (("", ("Lead.",)), ("Truce deal", ("One.", "Two.")))
    assert snapshot.tags == ("Baku",)


def test_compare_shows_a_readable_diff(client, editor):
    """Headline, subheading, paragraph and tag changes are shown as removed and added."""
    story = make_story(
        headline="Old headline",
        sections=[("", ["Lead stays."]), ("Truce deal", ["Old paragraph."])],
        tags=["Baku", "Armenia"],
    )
    first = history.story_versions(story.pk).first()
    edit_in_admin(
        client,
        story,
        headline="New headline",
        tags='"Baku", "Azerbaijan"',
        sections=[("", "Lead stays."), ("Ceasefire", "New paragraph.")],
    )
    url = reverse("admin:articles_story_compare", args=[story.pk, first.pk])
    html = client.get(url).content.decode()
    assert '<del><span class="visually-hidden">Removed: </span>Old headline</del>' in html
    assert '<ins><span class="visually-hidden">Added: </span>New headline</ins>' in html
    assert "Removed: </span>## Truce deal</del>" in html
    assert "Added: </span>## Ceasefire</ins>" in html
    assert "Removed: </span>Old paragraph.</del>" in html
    assert "Added: </span>New paragraph.</ins>" in html
    assert "Removed: </span>Armenia</del>" in html
    assert "Added: </span>Azerbaijan</ins>" in html
    assert '<li class="same">Lead stays.</li>' in html


def test_history_links_lead_to_the_comparison(client, editor):
    """The history page's revisions open the comparison with a restore button."""
    story = make_story()
    edit_in_admin(client, story, headline="Changed")
    first = history.story_versions(story.pk).last()
    history_page = client.get(reverse("admin:articles_story_history", args=[story.pk]))
    revision_url = reverse("admin:articles_story_revision", args=[story.pk, first.pk])
    assert revision_url in history_page.content.decode()
    compare = client.get(revision_url, follow=True).content.decode()
    assert "Restore this version" in compare


def test_restore_brings_back_the_words_as_a_new_revision(client, editor):
    """Restoring an old revision brings back its text and tags, keeps the publication
    state, and keeps the replaced text in the history."""
    story = make_story(headline="Original", sections=[("", ["Original lead."])], tags=["Baku"])
    first = history.story_versions(story.pk).first()
    edit_in_admin(
        client,
        story,
        headline="Rewritten",
        tags="Yerevan",
        sections=[("", "New lead."), ("Added", "More.")],
    )
    url = reverse("admin:articles_story_compare", args=[story.pk, first.pk])
    response = client.post(url, {"expected_version": story.version})
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Original"
    assert [s.paragraphs for s in story.sections.all()] == [["Original lead."]]
    assert list(story.tags.names()) == ["Baku"]
    assert story.is_public
    assert story.version == 3
    versions = list(history.story_versions(story.pk))
    assert len(versions) == 3
    assert versions[0].revision.comment.startswith("Restored the version of")
    assert versions[1].field_dict["headline"] == "Rewritten"


def test_restore_from_a_stale_page_changes_nothing(client, editor):
    """A restore based on an old version of the page is refused like any stale save."""
    story = make_story(headline="Original")
    first = history.story_versions(story.pk).first()
    edit_in_admin(client, story, headline="Rewritten")
    url = reverse("admin:articles_story_compare", args=[story.pk, first.pk])
    client.post(url, {"expected_version": 1})
    story.refresh_from_db()
    assert story.headline == "Rewritten"


def test_deleted_story_can_be_recovered_as_a_draft(client, editor):
    """Deleting keeps the history; recovery brings the story back, sections and tags
    included, as a draft under its old id."""
    story = make_story(sections=[("", ["Lead."]), ("Truce deal", ["Body."])], tags=["Baku"])
    pk = story.pk
    delete_url = reverse("admin:articles_story_delete", args=[pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Story.objects.exists()
    recover_list = client.get(reverse("admin:articles_story_recoverlist")).content.decode()
    assert story.headline in recover_list
    deleted = Version.objects.get_deleted(Story).get()
    recover_url = reverse("admin:articles_story_recover", args=[deleted.pk])
    assert "Truce deal" in client.get(recover_url).content.decode()
    assert client.post(recover_url).status_code == 302
    back = Story.objects.get()
    assert back.pk == pk
    assert back.status == Story.Status.DRAFT
    assert [s.subheading for s in back.sections.all()] == ["", "Truce deal"]
    assert list(back.tags.names()) == ["Baku"]
    assert history.story_versions(pk).first().revision.comment.startswith("Recovered")


def test_import_keeps_a_revision_with_the_importer():
    """Stories from wire copy start their history at the import."""
    user = make_user("wire", "Reporter")
    story = services.import_wire_copy(data="Headline\n\nBAKU (AFP) - Text.\n", user=user).story
    revision = history.story_versions(story.pk).get().revision
    assert (revision.user, revision.comment) == (user, "Imported from wire copy")
