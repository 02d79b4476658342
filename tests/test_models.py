"""Sections keep their paragraphs rendered as escaped HTML, however they are written."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from articles.models import Section
from tests.factories import make_story

pytestmark = pytest.mark.django_db

BODY = "Talks resumed.\n\n<script>alert(1)</script> & more"
HTML = "<p>Talks resumed.</p>\n<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>\n"


def stored_html(section: Section) -> str:
    return Section.objects.values_list("body_html", flat=True).get(pk=section.pk)


def test_save_renders_body_html_escaped():
    """``save()`` renders each paragraph in its own ``<p>``, with ``<script>`` escaped."""
    section = Section(story=make_story(), position=1, body=BODY)
    section.save()
    assert stored_html(section) == HTML


def test_saving_the_body_alone_writes_its_html_too():
    """``save(update_fields=["body"])`` stores the new HTML as well, never a stale one."""
    section = Section.objects.create(story=make_story(), position=1, body=BODY)
    section.body = "Changed."
    section.save(update_fields=["body"])
    assert stored_html(section) == "<p>Changed.</p>\n"


def test_objects_create_renders_body_html():
    """``Section.objects.create`` renders the HTML too."""
    section = Section.objects.create(story=make_story(), position=1, body=BODY)
    assert stored_html(section) == HTML


def test_loaddata_renders_body_html_from_the_words(tmp_path):
    """A fixture holds the words only; loading it (a raw save) renders the HTML."""
    story = make_story()
    fixture = tmp_path / "section.json"
    fields = {"story": story.pk, "position": 7, "subheading": "Truce deal", "body": BODY}
    fixture.write_text(json.dumps([{"model": "articles.section", "pk": 90001, "fields": fields}]))
    call_command("loaddata", str(fixture), verbosity=0)
    assert Section.objects.get(pk=90001).body_html == HTML


def test_of_paragraphs_renders_an_unsaved_section_ready_for_bulk_create():
    """``of_paragraphs`` joins the paragraphs and renders them before any save."""
    story = make_story()
    section = Section.of_paragraphs(
        story=story, position=1, subheading="Truce deal", paragraphs=["A <b>", "B"]
    )
    assert section.pk is None
    assert section.paragraphs == ["A <b>", "B"]
    assert section.body_html == "<p>A &lt;b&gt;</p>\n<p>B</p>\n"
    (created,) = Section.objects.bulk_create([section])
    assert stored_html(created) == "<p>A &lt;b&gt;</p>\n<p>B</p>\n"


def test_html_after_puts_the_dateline_inside_the_first_paragraph():
    """The dateline opens the first ``<p>``, escaped; the other paragraphs follow as they are."""
    section = Section.of_paragraphs(
        story=make_story(), position=0, subheading="", paragraphs=["Azerbaijan said.", "Then."]
    )
    html = section.html_after("BAKU <AFP> -")
    assert html == (
        '<p><span class="dateline">BAKU &lt;AFP&gt; -</span> Azerbaijan said.</p>\n<p>Then.</p>\n'
    )


def test_html_after_an_empty_section_still_shows_the_dateline():
    """A lead without paragraphs gets a paragraph of its own for the dateline."""
    section = Section(story=make_story(), position=0, body="")
    assert section.html_after("BAKU -") == '<p><span class="dateline">BAKU -</span> </p>\n'


def test_subheadings_get_anchors_unique_in_the_story():
    """The lead has none; repeated subheadings are numbered; words that leave no slug fall
    back to the section's position."""
    story = make_story(
        sections=[("", ["Lead."]), ("Update", ["One."]), ("Update", ["Two."]), ("日本", ["3."])]
    )
    anchors = [anchor for _, anchor in story.sections_with_anchors]
    assert anchors == ["", "update", "update-2", "section-3"]


@pytest.mark.django_db
def test_related_stories_come_from_the_tag_rows_nearest_in_time(monkeypatch):
    """Each tag gives its RELATED_WINDOW rows on either side of the story's time: a tag
    on a million stories costs what a tag on a few does."""
    from django.db import connection

    from articles import queries
    from articles.models import Story

    if not connection.features.supports_slicing_ordering_in_compound:
        pytest.skip("SQLite reads every row of the tags")
    monkeypatch.setattr(queries, "RELATED_WINDOW", 1)
    story = make_story(tags=["Truce"], ago=timedelta(hours=2))
    make_story(headline="Just before", tags=["Truce"], ago=timedelta(hours=3))
    make_story(headline="Long before", tags=["Truce"], ago=timedelta(hours=30))
    make_story(headline="Just after", tags=["Truce"], ago=timedelta(hours=1))
    story = Story.objects.prefetch_related("tags").get(pk=story.pk)
    related = Story.objects.published().related_to(story)
    assert [other.headline for other in related] == ["Just after", "Just before"]
