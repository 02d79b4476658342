"""Draft preview: staff see any story as readers will; everyone else gets a 404."""

from datetime import timedelta

import pytest
from django.urls import reverse

from articles.models import Story
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("state", "banner"),
    [
        ({"status": Story.Status.DRAFT, "ago": None}, "draft: readers cannot see this story"),
        ({"ago": -timedelta(days=1)}, "scheduled for"),
        ({}, "this story is live"),
    ],
    ids=["draft", "scheduled", "live"],
)
def test_staff_preview_shows_the_story_with_a_banner(client, state, banner):
    """The preview is the reader's page plus an unmistakable banner."""
    client.force_login(make_user("rita", "Reporter"))
    story = make_story(
        headline="Embargoed story", sections=[("", ["Lead."]), ("Truce", ["Body."])], **state
    )
    response = client.get(reverse("articles:preview", args=[story.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="preview-banner" role="status">' in html
    assert banner in html
    assert "<h1>Embargoed story</h1>" in html
    assert '<h2 id="truce">Truce</h2>' in html


def test_preview_is_never_cached_publicly_nor_indexed(client):
    """Private, no-store, noindex: in headers and in the page."""
    client.force_login(make_user("rita", "Reporter"))
    story = make_story(status=Story.Status.DRAFT, ago=None)
    response = client.get(reverse("articles:preview", args=[story.pk]))
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_preview_is_404_for_everyone_else(client):
    """Anonymous readers, logged-in non-staff and staff without story access get 404."""
    story = make_story(status=Story.Status.DRAFT, ago=None, headline="Secret draft")
    url = reverse("articles:preview", args=[story.pk])
    assert client.get(url).status_code == 404
    client.force_login(make_user("reader", is_staff=False))
    assert client.get(url).status_code == 404
    client.force_login(make_user("intern"))
    response = client.get(url)
    assert response.status_code == 404
    assert "Secret draft" not in response.content.decode()


def test_change_form_links_to_the_preview(client):
    """Editors reach the preview from the story's page in the admin."""
    client.force_login(make_user("eddie", "Editor"))
    story = make_story(status=Story.Status.DRAFT, ago=None)
    html = client.get(reverse("admin:articles_story_change", args=[story.pk])).content.decode()
    assert reverse("articles:preview", args=[story.pk]) in html
