"""The plain story admin: editors can list, search, open and save stories."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from articles import search
from articles.models import Story
from tests.factories import make_story, story_form_data

pytestmark = pytest.mark.django_db


def test_changelist_lists_and_searches_stories(admin_client):
    """The list shows headlines and finds a story by dateline place."""
    make_story(headline="Quake hits Lima", dateline_place="LIMA")
    make_story(headline="Truce in Baku", dateline_place="BAKU")
    url = reverse("admin:articles_story_changelist")
    html = admin_client.get(url).content.decode()
    assert "Quake hits Lima" in html and "Truce in Baku" in html
    assert 'href="/admin/articles/story/wire-desk/">Wire desk</a>' in html
    assert 'href="/admin/articles/story/?publication=scheduled">Scheduled</a>' in html
    assert "Recover deleted stories" in html
    found = admin_client.get(url, {"q": "lima"}).content.decode()
    assert "Quake hits Lima" in found and "Truce in Baku" not in found


def test_change_form_shows_sections_and_read_only_source(admin_client, demo_story):
    """The form carries the sections as inlines and the verbatim copy, not editable."""
    url = reverse("admin:articles_story_change", args=[demo_story.pk])
    html = admin_client.get(url).content.decode()
    assert 'value="Truce deal"' in html
    assert "21 Sep 2023, 09:55" in html
    assert 'name="source_text"' not in html


def test_editing_a_subheading_in_the_admin_shows_on_the_public_page(admin_client, client):
    """A saved change reaches readers."""
    story = make_story(sections=[("", ["Lead."]), ("Old subheading", ["Body."])])
    url = reverse("admin:articles_story_change", args=[story.pk])
    data = story_form_data(
        story,
        tags="Baku",
        dateline_place="BAKU",
        dateline_credit="AFP",
        sections=[("", "Lead."), ("New subheading", "Body.")],
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    html = client.get(story.get_absolute_url()).content.decode()
    assert '<h2 id="new-subheading">New subheading</h2>' in html
    assert "BAKU (AFP) -" in html


def get_within_budget(client, url, django_assert_max_num_queries, budget) -> str:
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_changelist_runs_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    """The list runs the same 12 queries at most with one story as with 40."""
    # Tags are prefetched; the filters list only the most used values.
    url = reverse("admin:articles_story_changelist")
    counts = []
    for size in (1, 40):
        while Story.objects.count() < size:
            n = Story.objects.count()
            make_story(dateline_place=f"PLACE {n}", tags=[f"Tag {n}", "Shared"])
        with django_assert_max_num_queries(12) as captured:
            html = admin_client.get(url).content.decode()
        counts.append(len(captured.captured_queries))
        assert html.count('class="field-tag_list"') == size
    assert counts[0] == counts[1]
    assert "Shared, Tag 0" in html


def test_change_form_query_budget(admin_client, django_assert_max_num_queries, demo_story):
    """The change form of the seed story (4 sections, 5 tags) runs 8 queries at most."""
    url = reverse("admin:articles_story_change", args=[demo_story.pk])
    html = get_within_budget(admin_client, url, django_assert_max_num_queries, 8)
    assert 'value="International pressure"' in html


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"q": "traditonal"}, "Seed"),
        ({"q": "Truce deal"}, "Seed"),
        ({"q": "BSS/AFP"}, "Seed"),
        ({"publication": "draft"}, "Draft one"),
        ({"publication": "scheduled"}, "Scheduled one"),
        ({"publication": "live"}, "Seed"),
        ({"tag": "armenia"}, "Seed"),
        ({"dateline_place": "LIMA"}, "Draft one"),
        ({"dateline_credit": "Reuters"}, "Scheduled one"),
    ],
)
def test_changelist_search_and_filters(admin_client, demo_story, query, found):
    """Search covers body, subheadings and dateline; filters status, tag, place, credit."""
    demo_story.headline = "Seed"
    demo_story.save()
    make_story(headline="Draft one", status=Story.Status.DRAFT, dateline_place="LIMA")
    make_story(headline="Scheduled one", ago=-timedelta(days=1), dateline_credit="Reuters")
    # The admin searches the stored index (PostgreSQL), which the desk's saves keep fresh.
    search.refresh_stories(Story.objects.values_list("pk", flat=True))
    html = admin_client.get(reverse("admin:articles_story_changelist"), query).content.decode()
    rows = re.findall(r'<th class="field-headline"><a [^>]*>([^<]+)</a>', html)
    assert rows == [found]


def test_tag_suggestions_complete_the_typed_start(admin_client):
    """The tag field's autocomplete offers existing tags that start with what was typed."""
    make_story(tags=["Nagorno-Karabakh", "Nakhchivan", "Baku"])
    url = reverse("admin:articles_tag_suggestions")
    assert admin_client.get(url, {"q": "na"}).json() == {
        "tags": ["Nagorno-Karabakh", "Nakhchivan"]
    }
    assert admin_client.get(url, {"q": ""}).json() == {"tags": []}


def test_sections_can_be_reordered_and_new_ones_go_last(admin_client):
    """Position numbers reorder sections; a new section without one is added at the end."""
    story = make_story(sections=[("", ["Lead."]), ("First", ["A."]), ("Second", ["B."])])
    data = story_form_data(story)
    data["sections-1-position"], data["sections-2-position"] = "2", "1"
    data |= {
        "sections-3-id": "",
        "sections-3-story": story.pk,
        "sections-3-position": "",
        "sections-3-subheading": "Added",
        "sections-3-body": "C.",
        "sections-TOTAL_FORMS": "4",
    }
    url = reverse("admin:articles_story_change", args=[story.pk])
    assert admin_client.post(url, data).status_code == 302
    sections = list(story.sections.order_by("position"))
    assert [(s.position, s.subheading) for s in sections] == [
        (0, ""),
        (1, "Second"),
        (2, "First"),
        (3, "Added"),
    ]


def test_a_subheading_without_paragraphs_does_not_block_saving(admin_client):
    """Copy with an empty section (the parser warns) can still be edited and saved."""
    story = make_story(sections=[("", ["Lead."]), ("Coming up", [])])
    url = reverse("admin:articles_story_change", args=[story.pk])
    response = admin_client.post(url, story_form_data(story, headline="Still saves"))
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Still saves"


def test_reporter_can_drop_a_section_of_a_draft(client):
    """Reporters reshaping a draft may delete a section."""
    from tests.factories import make_user

    client.force_login(make_user("rita", "Reporter"))
    story = make_story(status=Story.Status.DRAFT, ago=None, sections=[("", ["A."]), ("X", ["B."])])
    data = story_form_data(story)
    data["sections-1-DELETE"] = "on"
    url = reverse("admin:articles_story_change", args=[story.pk])
    assert client.post(url, data).status_code == 302
    assert [s.subheading for s in story.sections.all()] == [""]
