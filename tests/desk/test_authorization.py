"""Who may do what on the desk: every address the project adds, for each role, and the
services' own checks. A refused request changes nothing."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version
from taggit.models import Tag

from articles import services
from articles.models import Section, Story
from articles.services import history
from tests.factories import make_story, make_user, story_form_data

pytestmark = pytest.mark.django_db

WIRE_COPY = "Truce talks resume\n\nBAKU (AFP) - Negotiators met again on Monday.\n"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The matrix logs in three kinds of user some hundred times: no slow hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class World(NamedTuple):
    """What the requests act on: a live story and a draft, each edited once since its
    first revision (``*_first``), a deleted story's last version, and two tags."""

    live: Story
    live_first: Version
    draft: Story
    draft_first: Version
    deleted: Version
    baku: Tag
    yerevan: Tag


@pytest.fixture
def editor():
    return make_user("eddie", "Editor")


@pytest.fixture
def reporter():
    return make_user("rita", "Reporter")


@pytest.fixture
def world(editor) -> World:
    live = make_story(
        headline="Live story", sections=[("", ["Live lead."]), ("Talks", ["Live body."])]
    )
    live.tags.set(["Baku"])
    draft = make_story(
        headline="Draft story", status=Story.Status.DRAFT, ago=None, tags=["Yerevan"]
    )
    for story in (live, draft):
        story.headline += ", updated"
        services.save_story(story=story, expected_version=story.version, user=editor)
    gone = make_story(headline="Deleted story")
    services.delete_stories(stories=[gone], user=editor)
    return World(
        live=live,
        live_first=history.story_versions(live.pk).last(),
        draft=draft,
        draft_first=history.story_versions(draft.pk).last(),
        deleted=Version.objects.get_deleted(Story).get(),
        baku=Tag.objects.get(name="Baku"),
        yerevan=Tag.objects.get(name="Yerevan"),
    )


def state() -> tuple:
    """Everything a request could change, to compare before and after."""
    sections = Prefetch("sections", queryset=Section.objects.order_by("position"))
    stories = [
        (
            s.pk,
            s.headline,
            s.slug,
            s.standfirst,
            s.byline,
            s.dateline_place,
            s.dateline_date,
            s.dateline_credit,
            s.status,
            s.published_at,
            s.version,
            tuple((section.subheading, section.body) for section in s.sections.all()),
            tuple(sorted(tag.name for tag in s.tags.all())),
        )
        for s in Story.objects.order_by("pk").prefetch_related(sections, "tags")
    ]
    tags = sorted(Tag.objects.values_list("name", "slug"))
    return stories, tags, Tag.objects.count(), Story.objects.count()


def in_a_day() -> dict:
    at = timezone.localtime(timezone.now() + timedelta(days=1))
    return {"date": at.strftime("%Y-%m-%d"), "time": at.strftime("%H:%M:%S")}


def scheduled_form(story: Story) -> dict:
    at = in_a_day()
    return story_form_data(
        story, published_at_0=at["date"], published_at_1=at["time"], _schedule="1"
    )


def action(name: str, story: Story, **extra) -> dict:
    return {"action": name, "_selected_action": [story.pk], **extra}


def schedule_action(w: World) -> dict:
    at = in_a_day()
    return action("schedule", w.draft, schedule_at="1", at_0=at["date"], at_1=at["time"])


def merge_tags(w: World) -> dict:
    return {
        "action": "merge_selected",
        "_selected_action": [w.baku.pk, w.yerevan.pk],
        "confirm_merge": "1",
        "target": w.baku.pk,
    }


def admin(name: str, *args: Callable[[World], Any]) -> Callable[[World], str]:
    return lambda w: reverse(f"admin:{name}", args=[arg(w) for arg in args])


def no_data(w: World) -> dict:
    return {}


LIVE = lambda w: w.live.pk  # noqa: E731
DRAFT = lambda w: w.draft.pk  # noqa: E731
CHANGE_LIST = admin("articles_story_changelist")
TAG_LIST = admin("taggit_tag_changelist")


class Case(NamedTuple):
    """One request: its address and data, the status each role gets, and which roles'
    requests change something (every other request must change nothing)."""

    name: str
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict]
    anonymous: int
    reporter: int
    editor: int
    writes: tuple[str, ...] = ()


LOGIN = 302  # anonymous users are sent to the admin's login page
NOT_FOUND = 404

CASES = [
    # Story history, comparison and restore: reporters restore drafts only.
    Case("history", "get", admin("articles_story_history", LIVE), no_data, LOGIN, 200, 200),
    Case("history", "post", admin("articles_story_history", LIVE), no_data, LOGIN, 200, 200),
    Case(
        "compare live",
        "get",
        admin("articles_story_compare", LIVE, lambda w: w.live_first.pk),
        no_data,
        LOGIN,
        200,
        200,
    ),
    Case(
        "restore live",
        "post",
        admin("articles_story_compare", LIVE, lambda w: w.live_first.pk),
        lambda w: {"expected_version": w.live.version},
        LOGIN,
        403,
        302,
        writes=("editor",),
    ),
    Case(
        "restore draft",
        "post",
        admin("articles_story_compare", DRAFT, lambda w: w.draft_first.pk),
        lambda w: {"expected_version": w.draft.version},
        LOGIN,
        302,
        302,
        writes=("reporter", "editor"),
    ),
    # Deleted stories come back as drafts: anyone who may add stories.
    Case("recover list", "get", admin("articles_story_recoverlist"), no_data, LOGIN, 200, 200),
    Case("recover list", "post", admin("articles_story_recoverlist"), no_data, LOGIN, 200, 200),
    Case(
        "recover",
        "get",
        admin("articles_story_recover", lambda w: w.deleted.pk),
        no_data,
        LOGIN,
        200,
        200,
    ),
    Case(
        "recover",
        "post",
        admin("articles_story_recover", lambda w: w.deleted.pk),
        no_data,
        LOGIN,
        302,
        302,
        writes=("reporter", "editor"),
    ),
    # The wire desk makes drafts.
    Case("wire desk", "get", admin("articles_story_wire_desk"), no_data, LOGIN, 200, 200),
    Case(
        "wire desk create",
        "post",
        admin("articles_story_wire_desk"),
        lambda w: {"copy": WIRE_COPY, "tags": "Baku", "_create": "1"},
        LOGIN,
        302,
        302,
        writes=("reporter", "editor"),
    ),
    Case(
        "tag suggestions",
        "get",
        admin("articles_tag_suggestions"),
        lambda w: {"q": "ba"},
        LOGIN,
        200,
        200,
    ),
    Case(
        "tag suggestions",
        "post",
        admin("articles_tag_suggestions"),
        lambda w: {"q": "ba"},
        LOGIN,
        200,
        200,
    ),
    # The change form: reporters edit drafts, and publish nothing.
    Case("change live", "get", admin("articles_story_change", LIVE), no_data, LOGIN, 200, 200),
    Case(
        "edit live",
        "post",
        admin("articles_story_change", LIVE),
        lambda w: story_form_data(w.live, headline="Rewritten"),
        LOGIN,
        403,
        302,
        writes=("editor",),
    ),
    Case(
        "edit draft",
        "post",
        admin("articles_story_change", DRAFT),
        lambda w: story_form_data(w.draft, headline="Rewritten"),
        LOGIN,
        302,
        302,
        writes=("reporter", "editor"),
    ),
    Case(
        "publish button",
        "post",
        admin("articles_story_change", DRAFT),
        lambda w: story_form_data(w.draft, _publish="1"),
        LOGIN,
        403,
        302,
        writes=("editor",),
    ),
    Case(
        "schedule button",
        "post",
        admin("articles_story_change", DRAFT),
        lambda w: scheduled_form(w.draft),
        LOGIN,
        403,
        302,
        writes=("editor",),
    ),
    Case(
        "unpublish button",
        "post",
        admin("articles_story_change", LIVE),
        lambda w: story_form_data(w.live, _unpublish="1"),
        LOGIN,
        403,
        302,
        writes=("editor",),
    ),
    Case(
        "delete",
        "post",
        admin("articles_story_delete", DRAFT),
        lambda w: {"post": "yes"},
        LOGIN,
        403,
        302,
        writes=("editor",),
    ),
    # Changelist actions: reporters are offered none, so their POST just lists the stories
    # (or tags) again.
    Case("story list", "get", CHANGE_LIST, no_data, LOGIN, 200, 200),
    Case(
        "publish action",
        "post",
        CHANGE_LIST,
        lambda w: action("publish_now", w.draft),
        LOGIN,
        200,
        302,
        writes=("editor",),
    ),
    Case(
        "unpublish action",
        "post",
        CHANGE_LIST,
        lambda w: action("unpublish", w.live),
        LOGIN,
        200,
        302,
        writes=("editor",),
    ),
    Case(
        "schedule action",
        "post",
        CHANGE_LIST,
        schedule_action,
        LOGIN,
        200,
        302,
        writes=("editor",),
    ),
    Case("merge tags", "post", TAG_LIST, merge_tags, LOGIN, 200, 302, writes=("editor",)),
    Case(
        "delete selected stories",
        "post",
        CHANGE_LIST,
        lambda w: action("delete_selected", w.draft, post="yes"),
        LOGIN,
        200,
        302,
        writes=("editor",),
    ),
    Case(
        "revision (reversion's address)",
        "get",
        admin("articles_story_revision", LIVE, lambda w: w.live_first.pk),
        no_data,
        LOGIN,
        302,
        302,
    ),
    # Tags: reporters may add one; only editors rename or delete.
    Case(
        "add tag",
        "post",
        admin("taggit_tag_add"),
        lambda w: {"name": "Ganja", "slug": ""},
        LOGIN,
        302,
        302,
        writes=("reporter", "editor"),
    ),
    Case(
        "rename tag",
        "post",
        admin("taggit_tag_change", lambda w: w.baku.pk),
        lambda w: {"name": "Bakú", "slug": "baku"},
        LOGIN,
        403,
        302,
        writes=("editor",),
    ),
    Case(
        "delete tag",
        "post",
        admin("taggit_tag_delete", lambda w: w.yerevan.pk),
        lambda w: {"post": "yes"},
        LOGIN,
        403,
        302,
        writes=("editor",),
    ),
    # The preview is for staff only; anyone else is told there is no such story.
    Case(
        "preview draft",
        "get",
        lambda w: reverse("articles:preview", args=[w.draft.pk]),
        no_data,
        NOT_FOUND,
        200,
        200,
    ),
    Case(
        "preview draft",
        "post",
        lambda w: reverse("articles:preview", args=[w.draft.pk]),
        no_data,
        NOT_FOUND,
        200,
        200,
    ),
]


@pytest.mark.parametrize("role", ["anonymous", "reporter", "editor"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.name}" for c in CASES])
def test_who_may_do_what(client, world, editor, reporter, case, role):
    """Each role gets the expected status; only the allowed writes change anything."""
    if role != "anonymous":
        client.force_login({"reporter": reporter, "editor": editor}[role])
    url = case.url(world)
    before = state()
    response = getattr(client, case.method)(url, case.data(world))
    assert response.status_code == getattr(case, role), response.content.decode()[:2000]
    if role == "anonymous" and response.status_code == LOGIN:
        assert response["Location"].startswith(reverse("admin:login"))
    if role in case.writes:
        assert state() != before
    else:
        assert state() == before


def test_reporters_are_offered_a_restore_for_drafts_only(client, world, reporter):
    """The comparison of a live story has no restore button for a reporter; a draft's has."""
    client.force_login(reporter)
    live = client.get(
        reverse("admin:articles_story_compare", args=[world.live.pk, world.live_first.pk])
    )
    draft = client.get(
        reverse("admin:articles_story_compare", args=[world.draft.pk, world.draft_first.pk])
    )
    assert "Restore this version" not in live.content.decode()
    assert "Restore this version" in draft.content.decode()


# The services check too, whoever calls them ----------------------------------------------


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
    before = state()
    revisions = history.story_versions(story.pk).count()
    with pytest.raises(PermissionDenied):
        services.restore_version(
            story=story, version=first, user=reporter, expected_version=story.version
        )
    assert state() == before
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
