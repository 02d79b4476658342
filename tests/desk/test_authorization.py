"""Who may do what on the desk: every address the project adds, for each role (the
services check again, whoever calls them: test_service_permissions.py). A refused request
changes nothing."""

import pytest
from django.db.models import Prefetch
from django.urls import reverse
from reversion.models import Version
from taggit.models import Tag

from articles import services
from articles.models import Correction, Section, Story
from articles.services import history
from tests.desk.authorization_cases import CASES as DESK_CASES
from tests.desk.authorization_cases import LOGIN, World
from tests.desk.authorization_lifecycle_cases import LIFECYCLE_CASES
from tests.factories import make_story

pytestmark = pytest.mark.django_db

CASES = DESK_CASES + LIFECYCLE_CASES


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
    killed = make_story(headline="Killed story")
    services.kill_story(story=killed, user=editor)
    prepared = services.prepare_correction(story=live, user=editor, text="It was Tuesday.")
    return World(
        live=live,
        live_first=history.story_versions(live.pk).last(),
        draft=draft,
        draft_first=history.story_versions(draft.pk).last(),
        deleted=Version.objects.get_deleted(Story).get(),
        baku=Tag.objects.get(name="Baku"),
        yerevan=Tag.objects.get(name="Yerevan"),
        killed=killed,
        prepared=prepared,
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
    corrections = sorted(
        Correction.objects.values_list("pk", "story_id", "kind", "text", "published_at")
    )
    return stories, tags, Tag.objects.count(), Story.objects.count(), corrections


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
