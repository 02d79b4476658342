"""A reader in a real browser (Chromium) sees a story's correction at its foot, and finds
it on /corrections/."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from articles import services
from tests.factories import make_story, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_reader_sees_the_correction_notice_and_the_corrections_page(live_server, page):
    """The notice under the story says what was corrected and when; the site footer leads
    to /corrections/, which lists it and links back to the story."""
    story = make_story(
        headline="Truce signed in Yevlakh",
        sections=[("", ["The talks ended at noon."])],
        ago=timedelta(hours=3),
    )
    editor = make_user("eddie", "Editor")
    correction = services.prepare_correction(
        story=story,
        user=editor,
        text="An earlier version said the talks were in Baku.",
        publish=True,
    )
    page.goto(live_server.url + story.get_absolute_url())
    notice = page.get_by_role("region", name="Corrections and clarifications")
    expect(notice).to_contain_text(
        re.compile(r"Correction, \d{1,2} \w+ \d{4}: An earlier version said the talks")
    )
    assert (
        notice.locator("time")
        .get_attribute("datetime")
        .startswith(correction.published_at.date().isoformat())
    )
    expect(page.get_by_text("The talks ended at noon.")).to_be_visible()
    expect(page.locator(".meta")).to_contain_text("Updated")

    page.get_by_role("contentinfo").get_by_role("link", name="Corrections").click()
    expect(page).to_have_url(live_server.url + "/corrections/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Corrections and clarifications")
    entry = page.locator(".correction-entry").first
    expect(entry).to_contain_text("An earlier version said the talks were in Baku.")
    entry.get_by_role("link", name="Truce signed in Yevlakh").click()
    expect(page).to_have_url(re.compile(re.escape(story.get_absolute_url()) + "#correction-"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Truce signed in Yevlakh")
