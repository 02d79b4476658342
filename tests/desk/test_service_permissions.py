"""The services check who may do what, whoever calls them (the desk, a command, a shell):
a refused call writes nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from reversion.models import Revision, Version

from articles import services
from articles.models import Section, Story
from articles.services import history
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db

WIRE_COPY = "Truce talks resume\n\nBAKU (AFP) - Negotiators met again on Monday.\n"


def words(story: Story) -> tuple:
    """What a refused restore must leave as it was."""
    story = Story.objects.get(pk=story.pk)
    sections = tuple(story.sections.order_by("position").values_list("subheading", "body"))
    return story.headline, story.version, sections, tuple(sorted(story.tags.names()))


def test_save_story_refuses_a_reporter_on_a_published_story(reporter):
    """A reporter's save of a live story is refused in the service and writes nothing."""
    story = make_story(headline="As published")
    revisions = history.story_versions(story.pk).count()
    story.headline = "Rewritten by a reporter"
    with pytest.raises(PermissionDenied, match="only editors"):
        services.save_story(story=story, expected_version=story.version, user=reporter)
    story.refresh_from_db()
    assert (story.headline, story.version) == ("As published", 1)
    assert history.story_versions(story.pk).count() == revisions


def test_save_story_refuses_a_save_that_would_publish(reporter):
    """A reporter cannot publish a draft by saving it with a published status."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    story.status = Story.Status.PUBLISHED
    story.published_at = timezone.now()
    with pytest.raises(PermissionDenied):
        services.save_story(story=story, expected_version=story.version, user=reporter)
    story.refresh_from_db()
    assert (story.status, story.version) == (Story.Status.DRAFT, 1)


@pytest.mark.parametrize("user", [None, AnonymousUser()], ids=["no user", "anonymous"])
def test_save_story_refuses_a_published_story_without_a_user_who_may_publish(user):
    """No user, or an anonymous one, is no editor."""
    story = make_story()
    with pytest.raises(PermissionDenied):
        services.save_story(story=story, expected_version=story.version, user=user)


def test_reporter_may_save_a_draft_and_editor_a_published_story(reporter, editor):
    """Drafts are the reporters'; published stories the editors'."""
    draft = make_story(status=Story.Status.DRAFT, ago=None)
    draft.headline = "Reporter's draft"
    services.save_story(story=draft, expected_version=1, user=reporter)
    live = make_story()
    live.headline = "Editor's correction"
    services.save_story(story=live, expected_version=1, user=editor)
    draft.refresh_from_db()
    live.refresh_from_db()
    assert (draft.headline, draft.version) == ("Reporter's draft", 2)
    assert (live.headline, live.version) == ("Editor's correction", 2)


def restore_setup(editor) -> tuple[Story, Version]:
    story = make_story(headline="First words", sections=[("", ["First lead."])], tags=["Baku"])
    first = history.story_versions(story.pk).get()
    story.headline = "Second words"
    services.save_story(story=story, expected_version=1, user=editor)
    story.sections.update(body="Second lead.")
    story.tags.set(["Yerevan"])
    return story, first


def test_restore_version_refuses_a_reporter_on_a_published_story(reporter, editor):
    """Restoring a live story's old text is refused before anything is written."""
    story, first = restore_setup(editor)
    before = words(story)
    revisions = history.story_versions(story.pk).count()
    with pytest.raises(PermissionDenied):
        services.restore_version(
            story=story, version=first, user=reporter, expected_version=story.version
        )
    assert words(story) == before
    assert list(Story.objects.get(pk=story.pk).tags.names()) == ["Yerevan"]
    assert history.story_versions(story.pk).count() == revisions


def test_restore_version_by_an_editor_brings_the_words_back(editor):
    """An editor restores a live story's earlier text."""
    story, first = restore_setup(editor)
    services.restore_version(story=story, version=first, user=editor, expected_version=2)
    story.refresh_from_db()
    assert (story.headline, story.version) == ("First words", 3)
    assert story.sections.get().body == "First lead."
    assert list(story.tags.names()) == ["Baku"]


def test_recover_story_needs_the_add_permission(editor):
    """A staff member who may not add stories cannot bring one back."""
    story = make_story()
    services.delete_stories(stories=[story], user=editor)
    deleted = Version.objects.get_deleted(Story).get()
    with pytest.raises(PermissionDenied):
        services.recover_story(version=deleted, user=make_user("viv"))
    assert not Story.objects.exists()
    assert services.recover_story(version=deleted, user=make_user("rita", "Reporter"))


def test_delete_stories_needs_the_delete_permission(reporter, editor):
    """Reporters cannot delete stories; editors can."""
    story = make_story()
    with pytest.raises(PermissionDenied):
        services.delete_stories(stories=[story], user=reporter)
    assert Story.objects.exists()
    services.delete_stories(stories=[story], user=editor)
    assert not Story.objects.exists()


def test_importing_for_a_desk_user_follows_their_permissions(reporter):
    """A reporter imports drafts, not published copy; the operator (no user) imports both."""
    with pytest.raises(PermissionDenied):
        services.import_wire_copy(data=WIRE_COPY, publish=True, user=reporter)
    assert not Story.objects.exists()
    assert services.import_wire_copy(data=WIRE_COPY, user=reporter).created
    operator = services.import_wire_copy(data=WIRE_COPY + "\nMore.", publish=True, user=None)
    assert operator.story.status == Story.Status.PUBLISHED


def test_create_story_refuses_a_reporters_published_story(reporter):
    """A reporter's new story saved published is refused before anything is written."""
    story = Story(
        headline="Published by a reporter",
        slug="published-by-a-reporter",
        status=Story.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    with pytest.raises(PermissionDenied):
        services.create_story(story=story, user=reporter)
    assert (Story.objects.count(), Revision.objects.count()) == (0, 0)


def test_a_reporters_new_draft_and_its_sections_go_in(reporter):
    """A reporter creates a draft and saves its sections, numbered in the order given."""
    story = services.create_story(story=Story(headline="Draft", slug="draft"), user=reporter)
    services.save_sections(
        story=story,
        sections=[Section(subheading="", body="Lead."), Section(subheading="Next", body="More.")],
        user=reporter,
    )
    assert list(story.sections.values_list("position", "subheading")) == [(0, ""), (1, "Next")]
    assert history.story_versions(story.pk).get().revision.comment == "Created"
