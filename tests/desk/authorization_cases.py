"""The requests of the authorization matrix (test_authorization.py): every address the
project adds to the admin, what each role gets, and which roles' requests write."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

from django.urls import reverse
from django.utils import timezone
from reversion.models import Version
from taggit.models import Tag

from articles.models import Correction, Story
from articles.services import history
from tests.factories import story_form_data

WIRE_COPY = "Truce talks resume\n\nBAKU (AFP) - Negotiators met again on Monday.\n"


class World(NamedTuple):
    """What the requests act on: a live story and a draft, each edited once since its
    first revision (``*_first``), a deleted story's last version, two tags, a killed story
    and a prepared correction of the live story."""

    live: Story
    live_first: Version
    draft: Story
    draft_first: Version
    deleted: Version
    baku: Tag
    yerevan: Tag
    killed: Story
    prepared: Correction


def in_a_day() -> dict:
    at = timezone.localtime(timezone.now() + timedelta(days=1))
    return {"date": at.strftime("%Y-%m-%d"), "time": at.strftime("%H:%M:%S")}


def scheduled_form(story: Story) -> dict:
    at = in_a_day()
    return story_form_data(
        story, published_at_0=at["date"], published_at_1=at["time"], _schedule="1"
    )


def new_story_form(**changes) -> dict:
    """The add form as a browser posts it, with a lead and one more section."""
    return story_form_data(
        Story(),
        headline="Talks resume",
        slug="talks-resume",
        sections=[("", "Negotiators met."), ("Next", "They meet again.")],
        **changes,
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
KILLED = lambda w: w.killed.pk  # noqa: E731
PREPARED = lambda w: w.prepared.pk  # noqa: E731


def live_latest(w: World) -> int:
    """The live story's newest revision."""
    return history.story_versions(w.live.pk).first().pk


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
    Case("add form", "get", admin("articles_story_add"), no_data, LOGIN, 200, 200),
    Case(
        "add draft",
        "post",
        admin("articles_story_add"),
        lambda w: new_story_form(),
        LOGIN,
        302,
        302,
        writes=("reporter", "editor"),
    ),
    Case(
        "add and publish",
        "post",
        admin("articles_story_add"),
        lambda w: new_story_form(status=Story.Status.PUBLISHED, _publish="1"),
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
