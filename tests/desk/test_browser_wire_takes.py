"""An editor adds the agency's update to its story in the wire desk, in a real browser."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from articles import services
from articles.models import Story
from tests.desk.test_browser_desk import log_in
from tests.factories import make_user
from tests.services.takes_helpers import HEADLINE, NEW_TOLL, first_paragraph, later_take, seed_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_editor_pastes_an_update_sees_its_story_and_saves(live_server, page: Page):
    """Paste UPDATE 1-, read "Update of: <headline>" with the note, save: the story has
    two takes and the update's words, at the same address."""
    make_user("eddie", "Editor")
    story = services.import_wire_copy(data=seed_text(), publish=True).story
    address = Story.objects.get(pk=story.pk).get_absolute_url()
    log_in(page, live_server, "eddie")
    page.goto(f"{live_server.url}{reverse('admin:articles_story_wire_desk')}")
    page.get_by_label("Paste wire copy").fill(later_take())
    page.get_by_role("button", name="Preview").click()

    status = page.locator(".take-of")
    expect(status).to_contain_text(f"Update of: {HEADLINE}")
    expect(status.get_by_role("link", name=HEADLINE)).to_have_attribute(
        "href", reverse("admin:articles_story_change", args=[story.pk])
    )
    expect(page.locator("#content")).to_contain_text("Adds death toll in paragraph 1")
    expect(page.get_by_label(f"“{HEADLINE}” (story {story.pk})")).to_be_checked()
    assert story.takes.count() == 1

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("now has the update 1 from the wire")
    story = Story.objects.get(pk=story.pk)
    assert [take.kind for take in story.takes.all()] == ["original", "update"]
    assert NEW_TOLL in first_paragraph(story)
    assert story.get_absolute_url() == address

    page.goto(f"{live_server.url}{address}")
    expect(page.locator("main")).to_contain_text("killed at least 200 people")
