"""Drafts and scheduled stories never leak: not on any page, feed, sitemap, search or API."""

from datetime import timedelta

import pytest
from django.urls import reverse

from articles import search
from articles.models import Story
from tests.factories import make_story

pytestmark = pytest.mark.django_db

HIDDEN = {
    "draft": {"status": Story.Status.DRAFT},
    "scheduled": {"ago": -timedelta(hours=1)},
    "published without a time": {"ago": None},
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
            **state,
        )
        for name, state in HIDDEN.items()
    ]
    search.refresh_all()  # the factory writes rows directly, as no editor would
    return public, hidden


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
    """Their story pages and API documents are 404, like stories that do not exist."""
    _, hidden = stories
    for story in hidden:
        when = story.published_at or story.created_at
        url = reverse(
            "articles:story",
            kwargs={"year": when.year, "month": when.month, "day": when.day, "slug": story.slug},
        )
        assert client.get(url).status_code == 404
        assert client.get(reverse("articles:api_story", args=[story.pk])).status_code == 404
