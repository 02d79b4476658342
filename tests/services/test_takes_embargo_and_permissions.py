"""Embargoed takes are on no public path before their time; only editors apply a take to a
published story, or a kill."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles import services
from articles.models import Correction, Publication, Story, Take
from articles.services import history
from articles.services.takes import TakeRefused
from tests.services.takes_helpers import SAMPLES, import_seed, later_take

pytestmark = pytest.mark.django_db

SAMPLE_EMBARGO = datetime(2023, 9, 22, 0, 1, tzinfo=UTC)


def test_embargoed_copy_published_comes_out_at_its_embargo():
    """The sample, filed 14:00 UTC and embargoed until 00:01 UTC: published, it is on no
    public path a second before the embargo, and there by itself at it."""
    result = services.import_wire_copy(data=(SAMPLES / "embargoed.txt").read_bytes(), publish=True)
    story = Story.objects.get(pk=result.story.pk)
    assert (story.embargo, story.published_at) == (SAMPLE_EMBARGO, SAMPLE_EMBARGO)
    assert story.takes.get().embargo == SAMPLE_EMBARGO
    before = SAMPLE_EMBARGO - timedelta(seconds=1)
    assert not Story.objects.published(at=before).exists()
    assert list(Story.objects.scheduled(at=before)) == [story]
    assert list(Story.objects.published(at=SAMPLE_EMBARGO)) == [story]


def test_copy_embargoed_in_the_future_is_held_until_then():
    """Published with an embargo to come: scheduled for it, public nowhere now."""
    embargo = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    copy = later_take("", note=None, embargo=f"{embargo:%Y-%m-%d %H:%M} GMT")
    story = services.import_wire_copy(data=copy, publish=True).story
    story = Story.objects.get(pk=story.pk)
    assert story.publication == Publication.SCHEDULED
    assert (story.embargo, story.published_at) == (embargo, embargo)
    assert not Story.objects.published().exists()
    assert list(Story.objects.published(at=embargo)) == [story]


def test_embargoed_copy_kept_as_a_draft_keeps_its_embargo():
    story = services.import_wire_copy(data=(SAMPLES / "embargoed.txt").read_bytes()).story
    story = Story.objects.get(pk=story.pk)
    assert (story.status, story.published_at, story.embargo) == ("draft", None, SAMPLE_EMBARGO)


def future_embargo() -> str:
    return f"{timezone.now() + timedelta(days=1):%Y-%m-%d %H:%M} GMT"


@pytest.mark.parametrize("publish", [False, True], ids=["draft", "scheduled"])
def test_an_embargoed_update_holds_a_story_not_yet_public(publish):
    """A draft, or a story whose time has not come, takes the update's embargo."""
    story = import_seed(publish=False)
    if publish:
        Story.objects.filter(pk=story.pk).update(
            status=Story.Status.PUBLISHED, published_at=timezone.now() + timedelta(hours=1)
        )
    result = services.import_wire_copy(data=later_take(embargo=future_embargo()))
    assert result.joined
    story = Story.objects.get(pk=story.pk)
    assert story.embargo is not None and story.embargo > timezone.now()
    assert not Story.objects.published(at=timezone.now() + timedelta(hours=2)).exists()


def test_an_embargoed_update_of_a_live_story_is_refused_and_writes_nothing():
    """Readers already see it: the embargo cannot be honoured, so the take is refused."""
    story = import_seed()
    version = story.version
    with pytest.raises(TakeRefused, match="which is already public: an embargo cannot be"):
        services.import_wire_copy(data=later_take(embargo=future_embargo()))
    story = Story.objects.get(pk=story.pk)
    assert (story.version, story.embargo, story.takes.count()) == (version, None, 1)
    assert Story.objects.published().exists()


def test_an_update_whose_embargo_has_passed_applies_to_a_live_story():
    story = import_seed()
    result = services.import_wire_copy(data=later_take(embargo="2023-09-21 10:00 GMT"))
    assert result.joined
    assert Story.objects.get(pk=story.pk).embargo is None
    assert Take.objects.get(kind="update").embargo == datetime(2023, 9, 21, 10, tzinfo=UTC)


def test_a_reporter_cannot_apply_a_take_to_a_published_story(reporter):
    story = import_seed()
    with pytest.raises(PermissionDenied, match="is published: only editors can apply a take"):
        services.import_wire_copy(data=later_take(), user=reporter)
    assert Story.objects.get(pk=story.pk).takes.count() == 1
    assert Story.objects.count() == 1


def test_a_reporter_cannot_apply_a_kill(reporter):
    """Not even to a draft: a kill takes a story off every public path."""
    story = import_seed(publish=False)
    with pytest.raises(PermissionDenied, match="Only editors can apply a kill notice"):
        services.import_wire_copy(data=later_take("KILL-", note=None), user=reporter)
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT
    assert not Take.objects.filter(kind="kill").exists()


def test_a_reporter_updates_a_draft_and_prepares_its_correction(reporter):
    """A draft is the reporter's to update; a correction of it waits for an editor."""
    story = import_seed(publish=False)
    assert services.import_wire_copy(data=later_take(), user=reporter).joined
    services.import_wire_copy(data=later_take("CORRECTED-", note="Corrects it"), user=reporter)
    assert history.story_versions(story.pk)[0].revision.user == reporter
    assert not Correction.objects.get().is_published


def test_an_editor_applies_takes_to_published_stories(editor):
    story = import_seed()
    services.import_wire_copy(data=later_take("CORRECTED-", note="Corrects it"), user=editor)
    assert Correction.objects.get().is_published
    services.import_wire_copy(data=later_take("KILL-", note=None), user=editor)
    assert Story.objects.get(pk=story.pk).status == Story.Status.KILLED
    assert history.story_versions(story.pk)[0].revision.user == editor
