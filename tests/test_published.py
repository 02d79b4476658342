"""``Story.objects.published()``: the one rule for what readers may see."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Publication, Story
from tests.factories import make_story

pytestmark = pytest.mark.django_db


def test_published_story_in_the_past_is_public():
    """A published story whose time has come is public."""
    story = make_story(ago=timedelta(days=1))
    assert list(Story.objects.published()) == [story]
    assert story.is_public


def test_draft_is_never_public_whatever_its_time():
    """A draft stays out, even with a publication time in the past."""
    make_story(status=Story.Status.DRAFT, ago=timedelta(days=1))
    make_story(status=Story.Status.DRAFT, ago=None)
    assert not Story.objects.published().exists()


def test_future_story_is_scheduled_not_public():
    """A published story with a future time is scheduled, not public."""
    story = make_story(ago=-timedelta(minutes=5))
    assert not Story.objects.published().exists()
    assert not story.is_public


def test_published_without_a_time_is_not_public():
    """A published status without a publication time does not leak."""
    make_story(ago=None)
    assert not Story.objects.published().exists()


def test_scheduled_story_appears_by_itself_when_its_time_comes(monkeypatch):
    """No job is needed: once the clock passes ``published_at`` the story is public."""
    story = make_story(ago=-timedelta(hours=2))
    later = timezone.now() + timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert list(Story.objects.published()) == [story]


def test_published_orders_newest_first():
    """Readers see the newest story first."""
    older = make_story(ago=timedelta(days=2))
    newer = make_story(ago=timedelta(hours=1))
    make_story(status=Story.Status.DRAFT, ago=timedelta(minutes=1))
    assert list(Story.objects.published()) == [newer, older]


STATES = {"past": timedelta(days=1), "future": -timedelta(days=1), "no time": None}
EXPECTED = {
    (Story.Status.PUBLISHED, "past"): Publication.LIVE,
    (Story.Status.PUBLISHED, "future"): Publication.SCHEDULED,
    (Story.Status.PUBLISHED, "no time"): Publication.DRAFT,
    (Story.Status.DRAFT, "past"): Publication.DRAFT,
    (Story.Status.DRAFT, "future"): Publication.DRAFT,
    (Story.Status.DRAFT, "no time"): Publication.DRAFT,
}


@pytest.mark.parametrize(("status", "when"), list(EXPECTED))
def test_publication_names_the_one_queryset_that_holds_the_story(status, when):
    """Each story is in exactly one of published(), scheduled() and drafts(), the one its
    ``publication`` names; only a live story is public."""
    story = make_story(status=status, ago=STATES[when])
    querysets = {
        Publication.LIVE: Story.objects.published(),
        Publication.SCHEDULED: Story.objects.scheduled(),
        Publication.DRAFT: Story.objects.drafts(),
    }
    holding = [name for name, stories in querysets.items() if story in stories]
    assert holding == [story.publication] == [EXPECTED[status, when]]
    assert story.is_public is (story.publication == Publication.LIVE)


def test_published_and_scheduled_split_at_the_moment_given():
    """``at`` is the moment that counts as now: a story scheduled for then is live from it."""
    story = make_story(ago=-timedelta(hours=2))
    later = timezone.now() + timedelta(hours=3)
    assert list(Story.objects.published(at=later)) == [story]
    assert not Story.objects.scheduled(at=later).exists()
    assert list(Story.objects.scheduled()) == [story]


def test_an_embargo_to_come_keeps_a_published_story_out_until_it_passes():
    """Published, its time come, but embargoed: not public, held like a scheduled story,
    and public by itself once the embargo passes."""
    now = timezone.now()
    story = make_story(ago=timedelta(hours=1), embargo=now + timedelta(hours=2))
    assert not Story.objects.published(at=now).exists()
    assert list(Story.objects.scheduled(at=now)) == [story]
    assert list(Story.objects.embargoed(at=now)) == [story]
    assert story.publication == Publication.EMBARGOED and not story.is_public
    later = now + timedelta(hours=3)
    assert list(Story.objects.published(at=later)) == [story]
    assert not Story.objects.scheduled(at=later).exists()


def test_a_passed_embargo_changes_nothing():
    story = make_story(embargo=timezone.now() - timedelta(minutes=1))
    assert list(Story.objects.published()) == [story]
    assert story.publication == Publication.LIVE


def test_a_killed_story_is_in_no_readers_queryset():
    """Killed: neither public, scheduled nor a draft, whatever its time; kept, not deleted."""
    story = make_story(status=Story.Status.KILLED, ago=timedelta(days=1))
    assert not Story.objects.published().exists()
    assert not Story.objects.scheduled().exists()
    assert not Story.objects.drafts().exists()
    assert list(Story.objects.killed()) == [story]
    assert story.publication == Publication.KILLED and not story.is_public


@pytest.mark.parametrize(
    ("time", "embargo", "expected"),
    [
        (timedelta(minutes=10), None, timedelta(minutes=10)),  # scheduled
        (-timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=20)),  # embargoed
        (timedelta(minutes=30), timedelta(minutes=20), timedelta(minutes=30)),  # both
    ],
)
def test_the_next_public_time_is_the_later_of_time_and_embargo(time, embargo, expected):
    """What page lifetimes end at: when the first story held back comes out by itself."""
    now = timezone.now()
    make_story(published_at=now + time, embargo=now + embargo if embargo else None)
    make_story(ago=-timedelta(hours=5), status=Story.Status.DRAFT)
    assert Story.objects.next_public_time(now) == now + expected
