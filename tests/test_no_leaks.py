"""Drafts and scheduled stories never leak: not on any page, feed, sitemap, search or API."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import search
from articles.models import Story
from articles.takes import Correction
from tests.factories import make_story

pytestmark = pytest.mark.django_db

HIDDEN = {
    "draft": {"status": Story.Status.DRAFT},
    "scheduled": {"ago": -timedelta(hours=1)},
    "published without a time": {"ago": None},
    "embargoed": {"embargo": timedelta(hours=1)},  # from now, when the test runs
    "killed": {"status": Story.Status.KILLED},
}


@pytest.fixture
def stories():
    """One public story and three hidden ones sharing its tag, place and words."""
    public = make_story(
        headline="Public ceasefire story",
        dateline_place="BAKU",
        tags=["Ceasefire"],
        sections=[("", ["Ceasefire talks in Yevlakh."])],
    )
    hidden = [
        make_story(
            headline=f"Embargoed ceasefire story, {name}",
            dateline_place="BAKU",
            tags=["Ceasefire"],
            sections=[("", ["Ceasefire talks in Yevlakh, embargoed."])],
            **_fields(state),
        )
        for name, state in HIDDEN.items()
    ]
    for story in [public, *hidden]:
        Correction.objects.create(
            story=story, text="Corrects the place.", story_version=1, published_at=timezone.now()
        )
    search.refresh_all()  # the factory writes rows directly, as no editor would
    return public, hidden


def _fields(state: dict) -> dict:
    """A state's fields, its embargo (given as a time from now) made a moment."""
    if "embargo" in state:
        return {**state, "embargo": timezone.now() + state["embargo"]}
    return state


def public_addresses(public: Story) -> list[str]:
    return [
        reverse("articles:home"),
        public.get_absolute_url(),
        reverse("articles:tag", args=["ceasefire"]),
        reverse("articles:place", args=["baku"]),
        reverse("articles:search") + "?q=ceasefire",
        reverse("articles:search") + "?q=Yevlakh",
        reverse("articles:feed_rss"),
        reverse("articles:feed_atom"),
        reverse("articles:tag_feed_rss", args=["ceasefire"]),
        reverse("articles:tag_feed_atom", args=["ceasefire"]),
        reverse("articles:corrections"),
        reverse("articles:corrections_feed"),
        reverse("sitemap"),
        reverse("news_sitemap"),
        reverse("articles:api_stories"),
        reverse("articles:api_story", args=[public.pk]),
    ]


def test_hidden_stories_appear_on_no_public_path(client, stories):
    """Every public address shows the public story's world and nothing of the others."""
    public, hidden = stories
    for address in public_addresses(public):
        response = client.get(address)
        assert response.status_code == 200, address
        body = response.content.decode()
        assert "Public ceasefire story" in body or address.endswith("sitemap.xml"), address
        assert "Embargoed" not in body, address
        for story in hidden:
            assert f"/{story.slug}/" not in body, address
            assert f"/api/ninjs/stories/{story.pk}/" not in body, address


def test_hidden_stories_have_no_address_of_their_own(client, stories):
    """Their story pages and API documents are 404, like stories that do not exist; a killed
    story's are 410 Gone and ninjs "canceled", with nothing of what it said."""
    _, hidden = stories
    for story in hidden:
        when = story.published_at or story.created_at
        url = reverse(
            "articles:story",
            kwargs={"year": when.year, "month": when.month, "day": when.day, "slug": story.slug},
        )
        page = client.get(url)
        document = client.get(reverse("articles:api_story", args=[story.pk]))
        if story.status == Story.Status.KILLED:
            assert page.status_code == 410
            assert "Embargoed ceasefire" not in page.content.decode()
            assert document.status_code == 200
            assert document.json()["pubstatus"] == "canceled"
            assert "Yevlakh" not in document.content.decode()
        else:
            assert page.status_code == 404
            assert document.status_code == 404
