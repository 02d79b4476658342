"""The desk's story list and change form for the lifecycle: filters for embargoed, killed,
updated and corrected stories, the embargo column, and publishing at the embargo (killing
and reinstating: test_kills_desk.py)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Story, Take
from articles.services import history
from tests.factories import make_story, story_form_data

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:articles_story_changelist")


def change_url(story: Story) -> str:
    return reverse("admin:articles_story_change", args=[story.pk])


def listed(client, **params) -> set[str]:
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return {story.headline for story in response.context["cl"].result_list}


def add_take(story: Story, kind: str, **fields) -> Take:
    return Take.objects.create(
        story=story,
        kind=kind,
        headline=story.headline,
        source_text=fields.pop("source_text", f"{kind} of {story.headline}"),
        checksum=f"{story.pk}-{kind}-{Take.objects.count()}",
        **fields,
    )


def in_hours(hours: float):
    return timezone.now() + timedelta(hours=hours)


def split(moment) -> dict:
    local = timezone.localtime(moment)
    return {"embargo_0": f"{local:%Y-%m-%d}", "embargo_1": f"{local:%H:%M:%S}"}


@pytest.fixture
def every_state(editor) -> dict[str, Story]:
    """One story in each state the desk tells apart."""
    stories = {
        "draft": make_story(headline="Draft", status=Story.Status.DRAFT, ago=None),
        "draft embargoed": make_story(
            headline="Draft embargoed", status=Story.Status.DRAFT, ago=None, embargo=in_hours(5)
        ),
        "scheduled": make_story(headline="Scheduled", ago=-timedelta(hours=2)),
        "held": make_story(headline="Held by embargo", embargo=in_hours(3)),
        "live": make_story(headline="Live"),
        "embargo passed": make_story(headline="Embargo passed", embargo=in_hours(-1)),
        "killed": make_story(headline="Killed"),
    }
    services.kill_story(story=stories["killed"], user=editor)
    return stories


def test_publication_filter_returns_exactly_each_state(client, editor, every_state):
    """Each publication value lists exactly the stories its queryset method finds."""
    client.force_login(editor)
    assert listed(client, publication="draft") == {"Draft", "Draft embargoed"}
    assert listed(client, publication="scheduled") == {"Scheduled", "Held by embargo"}
    assert listed(client, publication="embargoed") == {"Draft embargoed", "Held by embargo"}
    assert listed(client, publication="live") == {"Live", "Embargo passed"}
    assert listed(client, publication="killed") == {"Killed"}
    assert len(listed(client)) == 7


def test_lifecycle_filter_finds_updated_corrected_and_waiting_stories(client, editor):
    """Updated: told readers or a write-thru came in; corrected: any correction; waiting:
    a prepared one. No story is listed twice however many takes or corrections it has."""
    plain = make_story(headline="Plain")
    add_take(plain, Take.Kind.ORIGINAL)
    revised = make_story(headline="Revised")
    Story.objects.filter(pk=revised.pk).update(revised_at=timezone.now())
    written_thru = make_story(headline="Written through")
    add_take(written_thru, Take.Kind.UPDATE, revision=1)
    add_take(written_thru, Take.Kind.UPDATE, revision=2)
    corrected = make_story(headline="Corrected")
    for text in ("It was Tuesday.", "The toll is 12."):
        services.prepare_correction(story=corrected, user=editor, text=text, publish=True)
    waiting = make_story(headline="Waiting")
    services.prepare_correction(story=waiting, user=editor, text="It was Monday.")
    client.force_login(editor)
    # A published correction tells readers the story changed: revised_at is set too.
    assert listed(client, lifecycle="updated") == {"Revised", "Written through", "Corrected"}
    response = client.get(LIST_URL, {"lifecycle": "updated"})
    assert len(response.context["cl"].result_list) == 3
    assert listed(client, lifecycle="corrected") == {"Corrected", "Waiting"}
    assert listed(client, lifecycle="correction_prepared") == {"Waiting"}
    assert "Plain" in listed(client)


def test_list_shows_states_embargo_time_and_quick_links(client, editor, every_state):
    """The publication column says Embargoed and Killed; the embargo column shows the time
    of an embargo still to come only; the quick links reach embargoed and killed stories."""
    client.force_login(editor)
    html = client.get(LIST_URL).content.decode()
    held = timezone.localtime(every_state["held"].embargo)
    assert f"{held:%d %b %Y %H:%M}" in html
    passed = timezone.localtime(every_state["embargo passed"].embargo)
    assert f"{passed:%d %b %Y %H:%M}" not in html
    assert html.count('<td class="field-publication">Embargoed</td>') == 1
    assert html.count('<td class="field-publication">Killed</td>') == 1
    assert 'href="/admin/articles/story/?publication=embargoed">Embargoed</a>' in html
    assert 'href="/admin/articles/story/?publication=killed">Killed</a>' in html
    assert ">Correction to publish</a>" in html


@pytest.mark.parametrize("params", [{}, {"lifecycle": "updated"}, {"publication": "embargoed"}])
def test_list_queries_do_not_grow_with_the_stories(
    client, editor, django_assert_max_num_queries, params
):
    """The list, filtered or not, runs as many queries for 25 stories with takes and
    corrections as for one: the new column and filters add no query per row."""
    client.force_login(editor)
    counts = []
    for size in (1, 25):
        while Story.objects.count() < size:
            story = make_story(embargo=in_hours(4), tags=["Baku"])
            add_take(story, Take.Kind.UPDATE, revision=1)
            services.prepare_correction(story=story, user=editor, text="It was Tuesday.")
        with django_assert_max_num_queries(14) as captured:
            response = client.get(LIST_URL, params)
        assert len(response.context["cl"].result_list) == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


# The change form -------------------------------------------------------------------------


def test_publish_now_before_the_embargo_is_refused_and_saves_nothing(client, editor):
    """ "Save and publish now" on an embargoed draft: the service's message, nothing saved."""
    story = make_story(status=Story.Status.DRAFT, ago=None, embargo=in_hours(6))
    client.force_login(editor)
    form = client.get(change_url(story)).content.decode()
    assert f"Embargoed until {timezone.localtime(story.embargo):%-d %B %Y, %H:%M}" in form
    assert 'name="_publish_at_embargo"' in form
    data = story_form_data(story, headline="Changed headline", _publish="1")
    response = client.post(change_url(story), data)
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors.get("embargo", []))
    assert "it cannot be published before then" in errors
    story.refresh_from_db()
    assert (story.status, story.headline, story.published_at) == (
        Story.Status.DRAFT,
        story.headline,
        None,
    )
    assert story.headline != "Changed headline"
    assert len(history.story_versions(story.pk)) == 1


def test_publish_at_the_embargo_holds_the_story_until_then(client, editor):
    """ "Save and publish at the embargo" publishes it to come out at its embargo, in the
    same save as the form's other changes."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    embargo = in_hours(6).replace(microsecond=0)
    client.force_login(editor)
    data = story_form_data(story, headline="Held", _publish_at_embargo="1", **split(embargo))
    response = client.post(change_url(story), data, follow=True)
    assert response.status_code == 200
    story.refresh_from_db()
    assert (story.status, story.headline) == (Story.Status.PUBLISHED, "Held")
    assert story.published_at == story.embargo == embargo
    assert not Story.objects.published().filter(pk=story.pk).exists()
    assert Story.objects.published(at=embargo).filter(pk=story.pk).exists()
    assert f"will appear on {timezone.localtime(embargo):%d %B %Y at %H:%M}" in (
        response.content.decode()
    )


def test_publish_at_the_embargo_needs_an_embargo(client, editor):
    """Without an embargo the button says what is missing and saves nothing."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    client.force_login(editor)
    response = client.post(change_url(story), story_form_data(story, _publish_at_embargo="1"))
    assert response.status_code == 200
    assert "Give the embargo time to publish at" in " ".join(
        response.context["adminform"].form.errors["embargo"]
    )
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_scheduling_before_the_embargo_is_a_form_error(client, editor):
    """A publication time before the embargo is refused on the form, nothing saved."""
    story = make_story(status=Story.Status.DRAFT, ago=None, embargo=in_hours(10))
    early = timezone.localtime(in_hours(2))
    client.force_login(editor)
    data = story_form_data(
        story,
        published_at_0=f"{early:%Y-%m-%d}",
        published_at_1=f"{early:%H:%M:%S}",
        _schedule="1",
    )
    response = client.post(change_url(story), data)
    assert response.status_code == 200
    assert "before the story's embargo" in " ".join(
        response.context["adminform"].form.errors["published_at"]
    )
    story.refresh_from_db()
    assert (story.status, story.published_at) == (Story.Status.DRAFT, None)


def test_a_reporter_may_embargo_a_draft(client, reporter):
    """The embargo field is a reporter's to set on a draft."""
    story = make_story(status=Story.Status.DRAFT, ago=None)
    embargo = in_hours(8).replace(microsecond=0)
    client.force_login(reporter)
    response = client.post(change_url(story), story_form_data(story, **split(embargo)))
    assert response.status_code == 302, response.context["adminform"].form.errors
    story.refresh_from_db()
    assert (story.embargo, story.status) == (embargo, Story.Status.DRAFT)


def test_an_editor_may_embargo_a_published_story(client, editor):
    """An editor's embargo on a live story takes it off the public paths until then."""
    story = make_story()
    embargo = in_hours(8).replace(microsecond=0)
    client.force_login(editor)
    response = client.post(change_url(story), story_form_data(story, **split(embargo)))
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.embargo == embargo
    assert not Story.objects.published().filter(pk=story.pk).exists()


def test_a_reporter_cannot_lift_or_bring_forward_an_embargo(client, reporter):
    """A reporter may push an embargo back, not lift it or bring it forward: the form says
    so on the field and saves nothing, and the service refuses a crafted save too."""
    embargo = in_hours(6).replace(microsecond=0)
    story = make_story(status=Story.Status.DRAFT, ago=None, embargo=embargo)
    client.force_login(reporter)
    for changed in ({"embargo_0": "", "embargo_1": ""}, split(in_hours(1))):
        data = story_form_data(story, headline="Lifted", **changed)
        response = client.post(change_url(story), data)
        assert response.context["adminform"].form.errors["embargo"] == [
            "Only editors can lift an embargo or bring it forward."
        ]
    for earlier in (None, in_hours(1)):
        story = Story.objects.get(pk=story.pk)
        story.embargo = earlier
        with pytest.raises(PermissionDenied, match="Only editors can lift an embargo"):
            services.save_story(story=story, expected_version=story.version, user=reporter)
    assert Story.objects.values_list("embargo", "headline").get(pk=story.pk) == (
        embargo,
        story.headline,
    )
    later = in_hours(8).replace(microsecond=0)
    response = client.post(change_url(story), story_form_data(story, **split(later)))
    assert response.status_code == 302
    assert Story.objects.get(pk=story.pk).embargo == later
