"""The plain story admin: editors can list, search, open and save stories."""

import pytest
from django.urls import reverse

from tests.factories import make_story, story_form_data

pytestmark = pytest.mark.django_db


def test_changelist_lists_and_searches_stories(admin_client):
    """The list shows headlines and finds a story by dateline place."""
    make_story(headline="Quake hits Lima", dateline_place="LIMA")
    make_story(headline="Truce in Baku", dateline_place="BAKU")
    url = reverse("admin:articles_story_changelist")
    html = admin_client.get(url).content.decode()
    assert "Quake hits Lima" in html and "Truce in Baku" in html
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
