"""Later takes join the story they belong to: updates, corrections, refiles and kills, on
the seed's own copy and on the agency samples in tests/wire/lifecycle/."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from articles import services
from articles.models import Correction, Story, Take
from articles.services import effects, history
from tests.services.takes_helpers import (
    HEADLINE,
    NEW_TOLL,
    OLD_TOLL,
    SAMPLES,
    STAMP,
    first_paragraph,
    import_seed,
    later_take,
    seed_text,
)

pytestmark = pytest.mark.django_db

UPDATE_TIME = datetime(2023, 9, 21, 8, 10, tzinfo=UTC)  # 14:10 in the wire's time zone


def test_every_original_is_kept_as_its_first_take(commit):
    """The first take is a Take row too: its copy verbatim, kind original, at its time."""
    with commit():
        story = import_seed()
    (take,) = story.takes.all()
    assert (take.kind, take.headline, take.revision, take.note) == ("original", HEADLINE, None, "")
    assert take.source_text == seed_text()
    assert take.checksum == story.source_checksum
    assert take.received_at == datetime(2023, 9, 21, 3, 55, tzinfo=UTC)


def test_an_update_replaces_the_text_and_keeps_the_address(commit):
    """UPDATE 1-: new words at the same address, status, time and tags; two takes."""
    with commit():
        story = import_seed()
    address, tags, version = story.get_absolute_url(), set(story.tags.names()), story.version
    with commit():
        result = services.import_wire_copy(data=later_take(), publish=True)
    assert (result.outcome, result.kind, result.revision) == ("joined", "update", 1)
    assert result.story.pk == story.pk
    assert result.describe() == f'joined "{HEADLINE}" (story {story.pk}) as update 1'
    story = Story.objects.get(pk=story.pk)
    assert story.get_absolute_url() == address
    assert (story.status, set(story.tags.names())) == (Story.Status.PUBLISHED, tags)
    assert NEW_TOLL in first_paragraph(story) and OLD_TOLL not in first_paragraph(story)
    assert story.revised_at == UPDATE_TIME
    assert story.version == version + 1
    assert [(t.kind, t.revision, t.note) for t in story.takes.all()] == [
        ("original", None, ""),
        ("update", 1, "Adds death toll in paragraph 1"),
    ]
    assert story.takes.last().source_text == later_take()
    assert list(Story.objects.published()) == [story]
    newest = history.story_versions(story.pk)[0]
    assert newest.revision.comment == "Update 1 from the wire: Adds death toll in paragraph 1"
    assert Story.objects.count() == 1


def test_a_batch_with_an_original_and_its_update_joins_them():
    """Both in one batch: the update joins the story the batch has just made."""
    original, update = services.import_wire_batch(
        [
            services.WireCopy(services.parse_copy(later_take()), publish=True),
            services.WireCopy(services.parse_copy(seed_text()), publish=True),
        ]
    )[::-1]
    assert (original.outcome, update.outcome) == ("created", "joined")
    assert update.story.pk == original.story.pk
    assert Story.objects.count() == 1
    assert NEW_TOLL in first_paragraph(original.story)


def test_a_correction_replaces_the_text_and_tells_readers(commit):
    """CORRECTED-: the words change and a public correction, tied to the take and the
    version that put it right, carries the agency's note."""
    with commit():
        story = import_seed()
    copy = later_take("CORRECTED-", note="Corrects death toll in paragraph 1")
    with commit():
        result = services.import_wire_copy(data=copy)
    assert result.outcome == "joined" and result.kind == "correction"
    story = Story.objects.get(pk=story.pk)
    correction = Correction.objects.get()
    assert correction.text == "Corrects death toll in paragraph 1"
    assert correction.take == story.takes.get(kind="correction")
    assert correction.story_version == story.version
    assert correction.is_published
    assert list(Correction.objects.public()) == [correction]
    assert story.revised_at == UPDATE_TIME
    assert NEW_TOLL in first_paragraph(story)


def test_a_correction_of_a_draft_is_prepared_not_published():
    """A draft's correction waits: readers are told nothing of a story they cannot see."""
    story = import_seed(publish=False)
    services.import_wire_copy(data=later_take("CORRECTED-", note="Corrects the toll"))
    correction = Correction.objects.get(story=story)
    assert not correction.is_published
    assert not Correction.objects.public().exists()


def test_a_refile_without_a_note_changes_the_words_but_tells_no_one():
    """REFILE- with no note: the text is the refile's; readers are not told of a change."""
    story = import_seed()
    result = services.import_wire_copy(data=later_take("REFILE-", note=None))
    assert (result.outcome, result.kind) == ("joined", "refile")
    story = Story.objects.get(pk=story.pk)
    assert story.revised_at is None
    assert NEW_TOLL in first_paragraph(story)
    assert history.story_versions(story.pk)[0].revision.comment == "Refile from the wire"


def test_a_kill_takes_the_story_off_every_public_path(commit):
    """A kill notice kills the story (kept, not deleted) and is kept as its take."""
    with commit():
        story = import_seed()
    copy = later_take("KILL - ", note=None, text=(OLD_TOLL, "The story is withdrawn."))
    with commit():
        result = services.import_wire_copy(data=copy)
    assert (result.outcome, result.kind) == ("joined", "kill")
    assert result.describe().endswith("as kill notice")
    story = Story.objects.get(pk=story.pk)
    assert story.status == Story.Status.KILLED
    assert not Story.objects.published().exists()
    assert OLD_TOLL in first_paragraph(story)  # a kill changes no words
    assert [t.kind for t in story.takes.all()] == ["original", "kill"]
    assert history.story_versions(story.pk)[0].revision.comment.startswith("Killed")


def test_a_second_kill_of_a_killed_story_is_only_recorded():
    """Killed already: the second notice is kept as a take and changes nothing else."""
    story = import_seed()
    services.import_wire_copy(data=later_take("KILL - ", note=None))
    version = Story.objects.get(pk=story.pk).version
    result = services.import_wire_copy(data=later_take("WITHDRAWN - ", note=None))
    assert result.outcome == "joined"
    story = Story.objects.get(pk=story.pk)
    assert (story.status, story.version) == (Story.Status.KILLED, version)
    assert [t.kind for t in story.takes.all()] == ["original", "kill", "kill"]


def test_the_agency_samples_follow_one_story_through_its_life():
    """Reuters' update 2 (no first take here: a draft, saying why), then its correction
    and its kill join that draft."""
    update = services.import_wire_copy(
        data=(SAMPLES / "reuters-update-2-crlf.txt").read_bytes(), publish=True
    )
    assert update.outcome == "draft"
    assert update.describe() == (
        f'update with no earlier story headed "{HEADLINE}" from BAKU (Reuters) within 72 '
        f"hours: saved as a draft (story {update.story.pk})"
    )
    assert update.story.status == Story.Status.DRAFT
    correction = services.import_wire_copy(
        data=(SAMPLES / "corrected-update-1.txt").read_bytes(), publish=True
    )
    assert (correction.outcome, correction.story.pk) == ("joined", update.story.pk)
    kill = services.import_wire_copy(data=(SAMPLES / "kill.txt").read_bytes(), publish=True)
    assert (kill.outcome, kill.story.pk) == ("joined", update.story.pk)
    story = Story.objects.get()
    assert story.status == Story.Status.KILLED
    assert [t.kind for t in story.takes.all()] == ["update", "correction", "kill"]
    assert "Talks between the two sides" in " ".join(
        p for s in story.sections.all() for p in s.paragraphs
    )


def test_an_update_without_a_timestamp_is_dated_now():
    """Copy with no timestamp line: the take, and the story's "updated", are now."""
    services.import_wire_copy(data=later_take("", note=None, stamp=None, text=("", "")))
    before = timezone.now()
    result = services.import_wire_copy(data=later_take(stamp=None))
    take = Take.objects.get(kind="update")
    assert take.received_at >= before
    assert result.outcome == "joined"
    assert Story.objects.get(pk=result.story.pk).revised_at == take.received_at


def test_a_join_is_made_current_after_commit_like_any_save():
    """The joined story's search fields and page are refreshed and purged (effects), and a
    correction's notice too: the import session gathers them as for new stories."""
    story = import_seed()
    with effects.gathered() as changes:
        services.import_wire_copy(data=later_take("CORRECTED-", note="Corrects the toll"))
    assert story.pk in changes.story_ids
    assert story.pk in changes.edited
    assert {f"story-{story.pk}", "corrections"} <= effects.keys_of(changes)


# Takes out of order

SECOND = "a military operation that they said killed 213 people, officials said."


def test_an_older_take_after_a_newer_one_is_kept_but_changes_nothing(commit):
    """UPDATE 2 at 15:00, then a delayed UPDATE 1 of 14:10: the story keeps update 2's
    words and time; update 1 is in the history, and the line says why it did nothing."""
    with commit():
        story = import_seed()
        services.import_wire_copy(
            data=later_take("UPDATE 2-", stamp="21 Sep 2023, 15:00", text=(OLD_TOLL, SECOND)),
            publish=True,
        )
    state = Story.objects.values().get(pk=story.pk)
    with commit():
        late = services.import_wire_copy(data=later_take(), publish=True)
    assert late.describe() == (
        f'joined "{HEADLINE}" (story {story.pk}) as update 1, kept in its history only: '
        "the story has a newer update 2"
    )
    assert Story.objects.values().get(pk=story.pk) == state
    assert SECOND in first_paragraph(story)
    assert [(t.kind, t.revision) for t in story.takes.order_by("received_at")] == [
        ("original", None),
        ("update", 1),
        ("update", 2),
    ]


def test_an_older_correction_is_prepared_for_the_desk_not_published(commit):
    with commit():
        story = import_seed()
        services.import_wire_copy(
            data=later_take("UPDATE 2-", stamp="21 Sep 2023, 15:00", text=(OLD_TOLL, SECOND))
        )
        late = services.import_wire_copy(data=later_take("CORRECTED-", note="Corrects toll"))
    assert late.newer == "update 2"
    correction = Correction.objects.get()
    assert (correction.story_id, correction.text, correction.published_at) == (
        story.pk,
        "Corrects toll",
        None,
    )
    assert SECOND in first_paragraph(story)


def test_a_batch_applies_its_takes_oldest_first_whatever_their_order():
    """update 2 listed before update 1 (as update10 sorts before update2): update 1 joins
    first, update 2 last, and the story ends with update 2's words."""
    copies = [
        later_take("UPDATE 2-", stamp="21 Sep 2023, 15:00", text=(OLD_TOLL, SECOND)),
        later_take(),
        seed_text(),
    ]
    results = services.import_wire_batch(
        [services.WireCopy(services.parse_copy(copy), publish=True) for copy in copies]
    )
    assert [(r.outcome, r.revision, r.newer) for r in results] == [
        ("joined", 2, ""),
        ("joined", 1, ""),
        ("created", None, ""),
    ]
    story = results[2].story
    assert SECOND in first_paragraph(story)
    assert Story.objects.get(pk=story.pk).revised_at == datetime(2023, 9, 21, 9, 0, tzinfo=UTC)


def test_a_first_take_without_a_timestamp_does_not_make_its_update_look_old(monkeypatch):
    """The first take pasted without its timestamp line is dated on arrival (14:15 GMT),
    after the update's own stamp (08:10 GMT): the update still applies."""
    monkeypatch.setattr(timezone, "now", lambda: datetime(2023, 9, 21, 14, 15, tzinfo=UTC))
    story = services.import_wire_copy(data=seed_text().replace(STAMP + "\n\n", "", 1)).story
    update = services.import_wire_copy(data=later_take())
    assert (update.outcome, update.newer) == ("joined", "")
    assert NEW_TOLL in first_paragraph(story)


def test_takes_of_the_same_minute_go_by_update_number_then_arrival():
    """Stamped alike (to the minute): UPDATE 1 after UPDATE 2 is kept only; a correction
    with no number after UPDATE 2 is the latest, and applies."""
    story = import_seed()
    at = "21 Sep 2023, 15:00"
    services.import_wire_copy(data=later_take("UPDATE 2-", stamp=at, text=(OLD_TOLL, SECOND)))
    late = services.import_wire_copy(data=later_take(stamp=at))
    assert late.newer == "update 2"
    assert SECOND in first_paragraph(story)
    fixed = SECOND.replace("213", "231")
    correction = services.import_wire_copy(
        data=later_take("CORRECTED-", stamp=at, note="Corrects toll", text=(OLD_TOLL, fixed))
    )
    assert (correction.outcome, correction.newer) == ("joined", "")
    assert fixed in first_paragraph(story)
