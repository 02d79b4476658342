"""The editors' desk in a real browser: Playwright driving Chromium against a live server."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from articles.models import Story
from tests.factories import make_story, make_user

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "source"
SEED_COPY = SEED / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
PASSWORD = "correct horse battery"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def log_in(page: Page, server, username: str) -> None:
    page.goto(f"{server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))
    ).to_be_visible()


def test_editor_turns_wire_copy_into_a_published_story(live_server, page: Page):
    """Paste, preview, create the draft, edit a subheading, publish, read it on the site."""
    make_user("eddie", "Editor")
    log_in(page, live_server, "eddie")
    page.goto(f"{live_server.url}/admin/articles/story/")
    page.get_by_role("link", name="Wire desk").click()
    page.get_by_label("Paste wire copy").fill(SEED_COPY.read_text(encoding="utf-8"))
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#content")
    expect(preview).to_contain_text(
        "Azerbaijan claims victory after Karabakh separatists surrender"
    )
    expect(preview).to_contain_text("BAKU, Sept 21, 2023 (BSS/AFP) -")
    expect(preview).to_contain_text("Truce deal")
    expect(preview).to_contain_text("37")
    assert not Story.objects.exists()

    page.get_by_role("button", name="Create draft").click()
    expect(page.locator(".messagelist")).to_contain_text("saved as a draft")
    story = Story.objects.get()
    assert story.status == Story.Status.DRAFT

    page.locator("#id_sections-1-subheading").fill("Truce deal signed in Yevlakh")
    page.get_by_role("button", name="Save and publish now").click()
    expect(page.locator(".messagelist")).to_contain_text("is published")

    page.goto(f"{live_server.url}/")
    page.get_by_role("main").get_by_role("link", name="Azerbaijan claims victory").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Azerbaijan claims victory after Karabakh separatists surrender"
    )
    expect(page.get_by_role("heading", name="Truce deal signed in Yevlakh")).to_be_visible()
    expect(page.locator(".dateline")).to_have_text("BAKU, Sept 21, 2023 (BSS/AFP) -")


def test_two_editors_conflicting_saves(live_server, browser):
    """The first save wins; the second says who changed it and keeps the editor's text."""
    make_user("alice", "Editor", first_name="Alice", last_name="Aliyeva")
    make_user("bob", "Editor", first_name="Bob", last_name="Baker")
    story = make_story(headline="Talks to resume", sections=[("", ["Original lead."])])
    change = f"{live_server.url}/admin/articles/story/{story.pk}/change/"
    pages = {}
    for name in ("alice", "bob"):
        context = browser.new_context()
        pages[name] = context.new_page()
        log_in(pages[name], live_server, name)
        pages[name].goto(change)

    alice, bob = pages["alice"], pages["bob"]
    alice.get_by_label("Headline").fill("Talks to resume in Yevlakh")
    alice.get_by_role("button", name="Save", exact=True).click()
    expect(alice.locator(".messagelist")).to_contain_text("was changed successfully")

    bob.locator("#id_sections-0-body").fill("Bob's rewritten lead.")
    bob.get_by_role("button", name="Save", exact=True).click()
    expect(bob.locator(".errornote, .errorlist").first).to_be_visible()
    expect(bob.locator("body")).to_contain_text("Alice Aliyeva saved this story")
    expect(bob.locator("#id_sections-0-body")).to_have_value("Bob's rewritten lead.")

    story.refresh_from_db()
    assert story.headline == "Talks to resume in Yevlakh"
    assert story.sections.get().body == "Original lead."

    bob.get_by_role("link", name="See what changed").click()
    expect(bob.locator("ins").first).to_contain_text("Talks to resume in Yevlakh")


def test_reporter_cannot_publish(live_server, page: Page):
    """A reporter sees no publishing buttons or actions and cannot set the status."""
    make_user("rita", "Reporter")
    story = make_story(headline="Reporter's draft", status=Story.Status.DRAFT, ago=None)
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/admin/articles/story/{story.pk}/change/")
    expect(page.get_by_label("Headline")).to_have_value("Reporter's draft")
    expect(page.get_by_role("button", name=re.compile("publish", re.I))).to_have_count(0)
    expect(page.locator("select#id_status")).to_have_count(0)
    page.goto(f"{live_server.url}/admin/articles/story/")
    options = page.locator("select[name=action] option").all_inner_texts()
    assert not any("ublish" in option or "chedule" in option for option in options)
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_pages_and_admin_work_under_the_content_security_policy(live_server, page: Page):
    """No CSP violation on public or desk pages, and the tag autocomplete's script runs."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    make_user("eddie", "Editor")
    story = make_story(headline="Policy story", tags=["Nagorno-Karabakh"])
    log_in(page, live_server, "eddie")
    for path in (
        "/",
        story.get_absolute_url(),
        "/search/?q=policy",
        "/admin/",
        "/admin/articles/story/",
        "/admin/articles/story/wire-desk/",
        f"/admin/articles/story/{story.pk}/history/",
        f"/preview/{story.pk}/",
    ):
        page.goto(live_server.url + path)
    page.goto(f"{live_server.url}/admin/articles/story/{story.pk}/change/")
    page.get_by_label("Tags").fill("Nagorno-Karabakh, Nag")
    expect(page.locator("datalist#id_tags_suggestions option")).to_have_count(1)
    assert violations == []
