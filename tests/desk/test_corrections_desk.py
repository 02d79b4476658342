"""A story's history in the desk (its takes and corrections) and corrections written by
hand: reporters prepare them, editors publish them, staff see what the revision changed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Correction, Story, Take
from tests.factories import make_story, story_form_data

pytestmark = pytest.mark.django_db

COPY = "UPDATE 1-Quake <script>alert(1)</script> hits Lima\n\nLIMA (AFP) - A quake & more."


def history_url(story: Story) -> str:
    return reverse("admin:articles_story_history", args=[story.pk])


def corrections_url(story: Story) -> str:
    return reverse("admin:articles_story_corrections", args=[story.pk])


def test_history_lists_each_take_with_kind_note_embargo_and_copy_escaped(client, editor):
    """Each take: kind and update number, note, embargo, time received, the verbatim copy
    in a <details>, escaped."""
    story = make_story(headline="Quake hits Lima")
    received = timezone.now() - timedelta(hours=2)
    Take.objects.create(
        story=story,
        kind=Take.Kind.ORIGINAL,
        headline="Quake hits Lima",
        source_text="Quake hits Lima\n\nLIMA (AFP) - A quake.",
        checksum="a" * 64,
        received_at=received,
    )
    embargo = timezone.now() + timedelta(hours=3)
    Take.objects.create(
        story=story,
        kind=Take.Kind.UPDATE,
        revision=1,
        headline="Quake hits Lima",
        note="Adds <toll> in paragraph 2",
        embargo=embargo,
        source_text=COPY,
        checksum="b" * 64,
    )
    client.force_login(editor)
    html = client.get(history_url(story)).content.decode()
    assert "<strong>Original</strong>" in html
    assert "<strong>Update 1</strong>" in html
    assert html.index("<strong>Original</strong>") < html.index("<strong>Update 1</strong>")
    assert f"received {timezone.localtime(received):%-d %B %Y, %H:%M}" in html
    assert "Note: Adds &lt;toll&gt; in paragraph 2" in html
    assert f"Embargoed until {timezone.localtime(embargo):%-d %B %Y, %H:%M}" in html
    assert "<script>alert(1)</script>" not in html
    assert (
        '<pre class="wire-copy">UPDATE 1-Quake &lt;script&gt;alert(1)&lt;/script&gt; hits Lima'
        "\n\nLIMA (AFP) - A quake &amp; more.</pre>"
    ) in html
    assert html.count("<details><summary>Copy as received</summary>") == 2


def test_history_of_a_story_written_in_the_desk_says_it_has_no_takes(client, reporter):
    """A reporter sees the history too; no takes is said, not left blank."""
    story = make_story()
    client.force_login(reporter)
    html = client.get(history_url(story)).content.decode()
    assert "No agency takes: the story was written in the desk." in html
    assert "No corrections or clarifications." in html


def test_history_lists_corrections_with_state_and_the_diff_they_explain(client, editor):
    """A correction: its kind, text, state and version, and a link to the difference
    between the revision before and the revision it explains, which shows the change."""
    story = make_story(headline="Quake hits Lima")
    client.force_login(editor)
    for lead in ("The toll is 10.", "The toll is 12."):  # versions 2 and 3, by the desk
        response = client.post(
            reverse("admin:articles_story_change", args=[story.pk]),
            story_form_data(story, sections=[("", lead)]),
        )
        assert response.status_code == 302
        story.refresh_from_db()
    published = services.prepare_correction(
        story=story, user=editor, text="The toll is 12, not <10>.", publish=True
    )
    services.prepare_correction(
        story=story, user=editor, text="Lima is in Peru.", kind=Correction.Kind.CLARIFICATION
    )
    html = client.get(history_url(story)).content.decode()
    when = timezone.localtime(published.published_at)
    assert "The toll is 12, not &lt;10&gt;." in html
    assert f"Published on {when:%-d %B %Y, %H:%M}" in html
    assert "<td>Clarification</td>" in html and ", not public</td>" in html
    assert html.count(f"Version {story.version}: <a href=") == 2
    diff_url = response_diff_url(html)
    diff = client.get(diff_url).content.decode()
    assert '<del><span class="visually-hidden">Removed: </span>The toll is 10.</del>' in diff
    assert '<ins><span class="visually-hidden">Added: </span>The toll is 12.</ins>' in diff
    assert "Restore this version" not in diff


def response_diff_url(html: str) -> str:
    start = html.index('href="/admin/articles/story/', html.index("<td>Version "))
    return html[start + len('href="') : html.index('"', start + len('href="'))]


def test_a_correction_of_a_first_version_has_no_diff_link(client, editor):
    """Version 1 has no revision before it: no link, rather than a broken one."""
    story = make_story()
    services.prepare_correction(story=story, user=editor, text="It was Monday.")
    client.force_login(editor)
    html = client.get(corrections_url(story)).content.decode()
    assert "<td>Version 1</td>" in html


def test_a_reporter_prepares_a_correction_readers_do_not_see(client, reporter, commit):
    """The reporter's correction is kept, tied to the story's version, and not public."""
    story = make_story()
    client.force_login(reporter)
    page = client.get(corrections_url(story)).content.decode()
    assert 'name="_publish"' not in page and "An editor publishes it" in page
    with commit():
        response = client.post(
            corrections_url(story), {"kind": "correction", "text": "  It was   Monday. "}
        )
    assert response.status_code == 302
    correction = Correction.objects.get()
    assert (correction.story, correction.text, correction.story_version) == (
        story,
        "It was Monday.",
        story.version,
    )
    assert correction.published_at is None
    assert not Correction.objects.public().exists()
    assert "It was Monday." not in client.get(story.get_absolute_url()).content.decode()


def test_a_reporter_cannot_publish_a_correction(client, reporter, editor):
    """Posting "Publish now", or publishing a prepared one, is 403 and writes nothing."""
    story = make_story()
    prepared = services.prepare_correction(story=story, user=editor, text="It was Monday.")
    client.force_login(reporter)
    response = client.post(
        corrections_url(story), {"kind": "correction", "text": "New text.", "_publish": "1"}
    )
    assert response.status_code == 403
    publish_url = reverse("admin:articles_story_publish_correction", args=[story.pk, prepared.pk])
    assert client.post(publish_url).status_code == 403
    assert list(Correction.objects.values_list("text", "published_at")) == [
        ("It was Monday.", None)
    ]
    assert Story.objects.get(pk=story.pk).revised_at is None


def test_an_editor_publishes_at_once_or_a_prepared_one_later(client, editor, commit):
    """ "Publish now" makes it public at once; a prepared one is published by its button;
    the story is marked revised."""
    story = make_story()
    prepared = services.prepare_correction(story=story, user=editor, text="It was Monday.")
    client.force_login(editor)
    with commit():
        response = client.post(
            corrections_url(story),
            {"kind": "clarification", "text": "Lima is in Peru.", "_publish": "1"},
        )
    assert response.status_code == 302
    clarification = Correction.objects.get(kind=Correction.Kind.CLARIFICATION)
    assert clarification.published_at is not None
    page = client.get(corrections_url(story)).content.decode()
    publish_url = reverse("admin:articles_story_publish_correction", args=[story.pk, prepared.pk])
    assert f'action="{publish_url}"' in page
    assert client.get(publish_url).status_code == 405
    with commit():
        response = client.post(publish_url, follow=True)
    assert "is published: readers see it" in response.content.decode()
    prepared.refresh_from_db()
    assert prepared.published_at is not None
    story.refresh_from_db()
    assert story.revised_at == prepared.published_at
    assert set(Correction.objects.public()) == {prepared, clarification}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "This field is required."),
        ("x" * 2001, "Ensure this value has at most 2000 characters"),
        ("It was\x07 Monday.", "Remove the invisible character"),
    ],
    ids=["blank", "too long", "unsafe"],
)
def test_a_bad_correction_is_a_form_error_and_nothing_is_written(client, editor, text, message):
    """Blank, too long or carrying a character feeds cannot: said on the form, no row."""
    story = make_story()
    client.force_login(editor)
    response = client.post(
        corrections_url(story), {"kind": "correction", "text": text, "_publish": "1"}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["text"])
    assert Correction.objects.count() == 0
    assert Story.objects.get(pk=story.pk).revised_at is None


def test_the_corrections_page_runs_a_fixed_number_of_queries(
    client, editor, django_assert_max_num_queries
):
    """Listing ten corrections costs what listing one does."""
    story = make_story()
    client.force_login(editor)
    counts = []
    for size in (1, 10):
        while Correction.objects.count() < size:
            story.headline += "!"
            services.save_story(story=story, expected_version=story.version, user=editor)
            services.prepare_correction(story=story, user=editor, text="It was Monday.")
        with django_assert_max_num_queries(12) as captured:
            html = client.get(corrections_url(story)).content.decode()
        assert html.count("what that revision changed</a>") == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
