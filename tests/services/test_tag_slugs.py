"""Tags from all of Unicode: every tag gets an ASCII slug its address can carry.

A tag named "Côte d'Ivoire", "日本" or "!!!" once made every page that listed it answer 500:
taggit's slug kept the Unicode (or was empty), and the ``<slug:…>`` URL pattern cannot
reverse it.
"""

import json

import pytest
from django.urls import reverse
from taggit.models import Tag

from articles import services
from articles.desk.tags import TagForm
from tests.factories import make_story, make_user

AWKWARD = {
    "Côte d'Ivoire": "cote-divoire",
    "日本": "riben",
    "!!!": "tag",
    "Łódź": "lodz",
    "Ελλάδα": "ellada",
}


@pytest.fixture
def awkward_story(db):
    return make_story(
        headline="Talks across the region",
        dateline_place="ŁÓDŹ",
        tags=list(AWKWARD),
    )


def test_awkward_names_get_ascii_slugs(awkward_story):
    """Transliterated, never empty: the names readers see stay as written."""
    assert {tag.name: tag.slug for tag in Tag.objects.all()} == AWKWARD


def test_every_public_page_listing_them_answers(client, awkward_story):
    """Home, story, each tag page and feed, the place, sitemaps and the API: all 200."""
    urls = [
        "/",
        awkward_story.get_absolute_url(),
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/feeds/rss/",
        "/feeds/atom/",
        "/api/ninjs/stories/",
        f"/api/ninjs/stories/{awkward_story.pk}/",
        "/places/lodz/",
    ]
    for slug in AWKWARD.values():
        urls += [f"/tags/{slug}/", f"/tags/{slug}/feed/rss/", f"/tags/{slug}/feed/atom/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    story_page = client.get(awkward_story.get_absolute_url()).content.decode()
    assert 'href="/tags/cote-divoire/"' in story_page
    assert ">Côte d&#39;Ivoire<" in story_page
    assert 'href="/places/lodz/"' in story_page
    subjects = client.get(f"/api/ninjs/stories/{awkward_story.pk}/").json()["subjects"]
    assert {s["name"]: s["uri"].rsplit("/tags/", 1)[1] for s in subjects}["日本"] == "riben/"


def test_a_preview_of_a_draft_with_them_answers(admin_client, db):
    """Staff preview a draft carrying such tags."""
    draft = make_story(status="draft", tags=["日本", "???"])
    response = admin_client.get(reverse("articles:preview", args=[draft.pk]))
    assert response.status_code == 200
    assert 'href="/tags/riben/"' in response.content.decode()


def test_names_that_slug_alike_get_distinct_slugs(db):
    """Another empty one gets -2; an ASCII clash is settled by taggit itself (_1)."""
    make_story(tags=["!!!", "Côte d'Ivoire"])
    make_story(tags=["???", "Cote d’Ivoire!"])
    assert dict(Tag.objects.values_list("name", "slug")) == {
        "!!!": "tag",
        "???": "tag-2",
        "Côte d'Ivoire": "cote-divoire",
        "Cote d’Ivoire!": "cote-divoire_1",
    }


def test_bulk_import_gives_ascii_slugs(db, tmp_path):
    """Wire copy imported in bulk (no signals) with sidecar tags gets the same slugs."""
    copy = tmp_path / "story.txt"
    copy.write_text(
        "21 Sep 2023, 09:55\n\nHeadline here\n\nABIDJAN (AFP) - First paragraph.\n",
        encoding="utf-8",
    )
    parsed = services.parse_copy(copy.read_bytes())
    (result,) = services.import_wire_batch(
        [services.WireCopy(parsed, publish=True, tags=("Côte d'Ivoire", "日本", "!!!"))]
    )
    assert sorted(result.story.tags.values_list("slug", flat=True)) == [
        "cote-divoire",
        "riben",
        "tag",
    ]


def test_the_tag_form_makes_a_slug_from_the_name(db):
    """In the tag admin a blank slug is made from the name; a Unicode one is refused."""
    form = TagForm(data={"name": "São Tomé", "slug": ""})
    assert form.is_valid(), form.errors
    assert form.save().slug == "sao-tome"
    refused = TagForm(data={"name": "Japan", "slug": "日本"})
    assert not refused.is_valid()
    assert "letters a–z" in refused.errors["slug"][0]


def test_a_tag_renamed_in_the_admin_keeps_an_ascii_slug(client, db):
    """An editor saving the tag form with the prepopulated (Unicode) slug gets ASCII."""
    editor = make_user("eddie", "Editor")
    client.force_login(editor)
    tag = Tag.objects.create(name="Japan")
    response = client.post(
        reverse("admin:taggit_tag_change", args=[tag.pk]), {"name": "日本", "slug": ""}
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.slug) == ("日本", "riben")


def test_the_demo_fixture_slugs_are_ascii():
    """The committed fixture's tags already have the slugs the rule makes."""
    from articles.services.fixtures import DEMO_FIXTURE

    tags = [o for o in json.loads(DEMO_FIXTURE.read_text()) if o["model"] == "taggit.tag"]
    assert tags and all(o["fields"]["slug"].isascii() for o in tags)
