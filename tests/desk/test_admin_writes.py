"""The story admin writes only through the services: adding, editing and the publishing
buttons leave the revisions, sections and search fields the services make, and a refused
request writes nothing."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from reversion.models import Revision, Version

import articles.desk
from articles import search
from articles.models import Section, Story
from articles.services import history
from tests.factories import make_story, story_form_data

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:articles_story_add")
DESK = Path(articles.desk.__file__).parent


def new_story_form(**changes) -> dict:
    """The add form as a browser posts it: a headline, and a lead and one more section."""
    return story_form_data(
        Story(),
        headline="Ceasefire holds in Karabakh",
        slug="ceasefire-holds",
        dateline_place="BAKU",
        sections=[("", "Guns fell silent on Thursday."), ("Talks", "Negotiators met in Yevlakh.")],
        **changes,
    )


def in_a_day() -> dict:
    at = timezone.localtime(timezone.now() + timedelta(days=1))
    return {"published_at_0": f"{at:%Y-%m-%d}", "published_at_1": f"{at:%H:%M:%S}"}


def test_adding_a_story_goes_through_the_service(
    client, editor, django_capture_on_commit_callbacks
):
    """Added with two sections: "Created" revision, sections 0 and 1, HTML, search fields."""
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD_URL, new_story_form())
    assert response.status_code == 302, response.context["errors"]
    story = Story.objects.get(slug="ceasefire-holds")
    [version] = history.story_versions(story.pk)
    assert (version.revision.user, version.revision.comment) == (editor, "Created")
    assert Version.objects.filter(revision=version.revision).get_for_model(Section).count() == 2
    sections = list(story.sections.order_by("position"))
    assert [(s.position, s.subheading) for s in sections] == [(0, ""), (1, "Talks")]
    assert "<p>Negotiators met in Yevlakh.</p>" in sections[1].body_html
    assert story.status == Story.Status.DRAFT
    found = Story.objects.filter(search.matching("Yevlakh"))
    assert list(found) == [story]


def test_a_reporter_adds_a_draft(client, reporter):
    """A reporter may add a story: it is saved as a draft, with the service's revision."""
    client.force_login(reporter)
    assert client.get(ADD_URL).status_code == 200
    response = client.post(ADD_URL, new_story_form())
    assert response.status_code == 302, response.context["errors"]
    story = Story.objects.get()
    assert (story.status, story.sections.count()) == (Story.Status.DRAFT, 2)
    assert history.story_versions(story.pk).get().revision.comment == "Created"


@pytest.mark.parametrize("button", [{"_publish": "1"}, {"_schedule": "1", **in_a_day()}])
def test_a_reporters_published_story_is_refused_without_writing(client, reporter, button):
    """A reporter's add with a publishing button gets a 403 and writes nothing at all."""
    client.force_login(reporter)
    response = client.post(ADD_URL, new_story_form(status=Story.Status.PUBLISHED, **button))
    assert response.status_code == 403
    assert (Story.objects.count(), Section.objects.count(), Revision.objects.count()) == (0, 0, 0)


def test_a_reporter_cannot_post_a_published_status(client, reporter):
    """The status field is read-only for a reporter: a posted "published" saves a draft."""
    client.force_login(reporter)
    data = new_story_form(status=Story.Status.PUBLISHED, **in_a_day())
    assert client.post(ADD_URL, data).status_code == 302
    story = Story.objects.get()
    assert (story.status, story.published_at) == (Story.Status.DRAFT, None)


def test_an_editor_adds_and_publishes_in_one_step(client, editor):
    """The add form's "Save and publish now" makes the story live, with revision "Published"."""
    client.force_login(editor)
    response = client.post(ADD_URL, new_story_form(_publish="1"))
    assert response.status_code == 302, response.context["errors"]
    story = Story.objects.get()
    assert story.is_public
    assert history.story_versions(story.pk).get().revision.comment == "Published"


def test_the_publishing_buttons_leave_the_services_words_in_the_history(client, editor):
    """Unpublish keeps the service's "Unpublished"; a plain edit the admin's change message."""
    client.force_login(editor)
    story = make_story(sections=[("", ["Lead."])])
    url = reverse("admin:articles_story_change", args=[story.pk])
    assert client.post(url, story_form_data(story, _unpublish="1")).status_code == 302
    story.refresh_from_db()
    assert client.post(url, story_form_data(story, headline="Renamed")).status_code == 302
    comments = [v.revision.comment for v in history.story_versions(story.pk)]
    assert comments[:2] == ["Changed Headline.", "Unpublished"]


def test_the_schedule_action_refuses_a_past_time_in_the_services_words(client, editor):
    """Scheduling for a time gone by asks again, with the service's message; nothing changes."""
    client.force_login(editor)
    story = make_story(status=Story.Status.DRAFT, ago=None)
    past = timezone.localtime(timezone.now() - timedelta(hours=1))
    data = {
        "action": "schedule",
        "_selected_action": [story.pk],
        "schedule_at": "1",
        "at_0": f"{past:%Y-%m-%d}",
        "at_1": f"{past:%H:%M:%S}",
    }
    response = client.post(reverse("admin:articles_story_changelist"), data)
    assert response.status_code == 200
    assert "give a publication time in the future" in response.content.decode()
    story.refresh_from_db()
    assert (story.status, story.version) == (Story.Status.DRAFT, 1)


def test_the_publication_column_and_buttons_follow_the_public_rule(client, editor):
    """Draft, scheduled and live as the list says them; unpublish offered unless a draft."""
    client.force_login(editor)
    stories = {
        "Draft": make_story(status=Story.Status.DRAFT, ago=None),
        "Scheduled": make_story(ago=-timedelta(days=1)),
        "Live": make_story(),
    }
    html = client.get(reverse("admin:articles_story_changelist")).content.decode()
    for label in stories:
        assert f'<td class="field-publication">{label}</td>' in html
    for label, story in stories.items():
        page = client.get(reverse("admin:articles_story_change", args=[story.pk]))
        assert ('name="_unpublish"' in page.content.decode()) == (label != "Draft")
        assert ('name="_publish"' in page.content.decode()) == (label != "Live")
    assert 'name="_unpublish"' not in client.get(ADD_URL).content.decode()


def names_used(path: Path) -> set[str]:
    """Every module imported and every name or attribute mentioned in a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
    return names


@pytest.mark.parametrize("path", sorted(DESK.glob("*.py")), ids=lambda p: p.name)
def test_the_desk_leaves_caching_and_search_indexing_to_the_services(path):
    """No desk module imports the page cache or calls search indexing itself."""
    used = names_used(path)
    assert not {"caching", "articles.site.caching", "varnish", "purge", "purge_on_commit"} & used
    assert not {name for name in used if name.startswith("refresh")}
    assert path.read_text(encoding="utf-8").count("\n") <= 400
