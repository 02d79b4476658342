"""Which story a later take joins: headline, dateline place and credit, 72 hours, or the
story an editor names; none or several make a draft that says why, and nothing is
imported twice."""

from datetime import UTC, datetime, timedelta

import pytest
from reversion.models import Revision

from articles import services
from articles.models import Correction, Story, Take
from articles.services.takes import TakeRefused
from tests.factories import make_story
from tests.services.takes_helpers import HEADLINE, import_seed, later_take

pytestmark = pytest.mark.django_db


def test_headlines_match_whatever_their_case_and_spacing():
    """Agencies retype headlines: case and runs of spaces are not a difference."""
    story = import_seed()
    shouted = "AZERBAIJAN  claims VICTORY after   Karabakh separatists surrender"
    result = services.import_wire_copy(data=later_take(headline=shouted))
    assert (result.outcome, result.story.pk) == ("joined", story.pk)


def test_a_take_matches_the_headline_of_an_earlier_take():
    """The desk rewrote the headline: the agency's, kept on the first take, still matches."""
    story = import_seed()
    Story.objects.filter(pk=story.pk).update(headline="Karabakh separatists lay down arms")
    result = services.import_wire_copy(data=later_take())
    assert (result.outcome, result.story.pk) == ("joined", story.pk)
    assert Story.objects.get(pk=story.pk).headline == HEADLINE  # the update's words


def test_the_dateline_place_matches_whatever_its_case():
    """The desk wrote the place as "Baku": the agency's BAKU is the same place."""
    story = import_seed()
    Story.objects.filter(pk=story.pk).update(dateline_place="Baku")
    result = services.import_wire_copy(data=later_take())
    assert result.story.pk == story.pk and result.joined


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"credit": "Reuters"}, "from BAKU (Reuters)"),
        ({"place": "YEREVAN"}, "from YEREVAN (BSS/AFP)"),
        ({"headline": "Azerbaijan claims victory"}, 'headed "Azerbaijan claims victory"'),
    ],
)
def test_another_credit_place_or_headline_is_no_match(changes, why):
    """No story matches: the update is a draft of its own, and the reason says why."""
    seed = import_seed()
    result = services.import_wire_copy(data=later_take(**changes), publish=True)
    assert result.outcome == "draft"
    assert result.story.pk != seed.pk
    assert result.story.status == Story.Status.DRAFT
    assert result.draft_reason.startswith("update with no earlier story")
    assert why in result.draft_reason
    assert result.draft_reason.endswith("within 72 hours")
    assert result.story.takes.get().kind == "update"
    assert Story.objects.get(pk=seed.pk).takes.count() == 1


@pytest.mark.parametrize(
    ("stamp", "joins"), [("24 Sep 2023, 08:55", True), ("24 Sep 2023, 10:55", False)]
)
def test_the_earlier_story_must_have_a_take_within_72_hours(stamp, joins):
    """The seed was filed 21 Sep 09:55: 71 hours later an update joins it, 73 do not."""
    seed = import_seed()
    result = services.import_wire_copy(data=later_take(stamp=stamp))
    assert result.joined is joins
    assert (result.story.pk == seed.pk) is joins


def test_the_window_counts_from_the_story_s_latest_take():
    """An update joined 48 hours in, the next one 48 hours later still finds the story."""
    seed = import_seed()
    services.import_wire_copy(data=later_take(stamp="23 Sep 2023, 09:55"))
    result = services.import_wire_copy(data=later_take("UPDATE 2-", stamp="25 Sep 2023, 09:55"))
    assert (result.outcome, result.story.pk) == ("joined", seed.pk)


def test_two_matching_stories_make_a_draft_naming_both():
    """Never a guess: two candidates, and the take is a draft that names their ids."""
    first = import_seed()
    other = services.import_wire_copy(data=later_take("", note=None, text=("", ""))).story
    result = services.import_wire_copy(data=later_take(), publish=True)
    assert result.outcome == "draft"
    assert f"2 stories match (ids {first.pk}, {other.pk})" in result.draft_reason
    assert result.describe().endswith(f": saved as a draft (story {result.story.pk})")
    assert Story.objects.count() == 3


def busy_bureau(count: int) -> None:
    """``count`` other stories from the seed's place and credit, filed between the seed
    and its update: a busy day at the bureau."""
    at = datetime(2023, 9, 21, 6, 0, tzinfo=UTC)
    Story.objects.bulk_create(
        Story(
            headline=f"Baku brief {n}",
            slug=f"baku-brief-{n}",
            status=Story.Status.PUBLISHED,
            published_at=at + timedelta(seconds=n),
            dateline_place="BAKU",
            place_slug="baku",
            dateline_credit="BSS/AFP",
        )
        for n in range(count)
    )


def test_a_busy_bureau_does_not_hide_the_story_a_take_belongs_to():
    """Every story of the place and credit in the window is compared, not the latest few:
    the seed is found behind 120 newer stories, and a second match behind them is seen."""
    seed = import_seed()
    busy_bureau(120)
    result = services.import_wire_copy(data=later_take())
    assert (result.outcome, result.story.pk) == ("joined", seed.pk)
    twin = Story.objects.get(slug="baku-brief-0")
    Story.objects.filter(pk=twin.pk).update(headline=HEADLINE)
    again = services.import_wire_copy(data=later_take("UPDATE 2-", stamp="21 Sep 2023, 15:00"))
    assert again.outcome == "draft"
    assert f"2 stories match (ids {seed.pk}, {twin.pk})" in again.draft_reason


def test_a_take_without_a_dateline_is_a_draft_saying_so():
    import_seed()
    copy = later_take().replace("BAKU, Sept 21, 2023 (BSS/AFP) - ", "", 1)
    result = services.import_wire_copy(data=copy)
    assert result.outcome == "draft"
    assert result.draft_reason == f'update headed "{HEADLINE}" has no dateline to match'


def test_the_same_take_twice_changes_nothing(django_assert_max_num_queries):
    """Imported again, with CRLF line breaks even, an update is recognised by its copy."""
    story = import_seed()
    services.import_wire_copy(data=later_take())
    state = Story.objects.values().get(pk=story.pk)
    counts = (Take.objects.count(), Revision.objects.count(), Correction.objects.count())
    with django_assert_max_num_queries(6):
        again = services.import_wire_copy(data=later_take().replace("\n", "\r\n"), publish=True)
    assert (again.outcome, again.story.pk) == ("unchanged", story.pk)
    assert again.describe() == f"already imported as story {story.pk}"
    assert Story.objects.values().get(pk=story.pk) == state
    assert (Take.objects.count(), Revision.objects.count(), Correction.objects.count()) == counts


def test_a_take_kept_as_a_draft_is_not_made_again():
    """The draft an unmatched update made is found by its copy the second time."""
    first = services.import_wire_copy(data=later_take())
    again = services.import_wire_copy(data=later_take())
    assert (first.outcome, again.outcome) == ("draft", "unchanged")
    assert again.story.pk == first.story.pk
    assert Story.objects.count() == 1


def test_the_named_story_wins_over_the_match():
    """An editor who names the story is followed, even against headline and credit."""
    import_seed()
    named = make_story(headline="Something else entirely", dateline_place="PARIS")
    result = services.import_wire_copy(data=later_take(credit="Reuters"), story=named.pk)
    assert (result.outcome, result.story.pk) == ("joined", named.pk)
    assert Story.objects.get(pk=named.pk).headline == HEADLINE


def test_an_unknown_named_story_is_refused_and_nothing_written():
    with pytest.raises(TakeRefused, match="there is no story 999 to add this take to"):
        services.import_wire_copy(data=later_take(), story=999)
    assert not Story.objects.exists() and not Take.objects.exists()


def test_a_first_take_cannot_join_a_named_story():
    """A sidecar's story is for later takes: a first take naming one is refused."""
    story = import_seed()
    copy = later_take("", note=None)
    with pytest.raises(TakeRefused, match="a first take makes a story of its own"):
        services.import_wire_copy(data=copy, story=story.pk)
    assert Story.objects.count() == 1


def test_as_new_keeps_an_update_apart():
    """The desk's "import as a new story": a story of its own, though one matches."""
    seed = import_seed()
    result = services.import_wire_copy(data=later_take(), as_new=True)
    assert (result.outcome, result.kind) == ("created", "update")
    assert result.story.pk != seed.pk
    assert result.story.takes.get().kind == "update"
    assert Story.objects.get(pk=seed.pk).takes.count() == 1
