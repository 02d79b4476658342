"""The desk at scale: a story with the most sections saves, and admin search uses the index."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import search
from articles.models import Story
from articles.wire import MAX_SECTIONS
from tests.factories import make_story, make_user, story_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


def sections(n: int, word: str = "Old") -> list[tuple[str, str]]:
    return [(f"{word} subheading {i}" if i else "", f"{word} paragraph {i}.") for i in range(n)]


def story_with_sections(n: int) -> Story:
    return make_story(sections=[(sub, [body]) for sub, body in sections(n)])


class FieldNames(HTMLParser):
    """The names a browser sends from the page's story form: every named control (all
    checkboxes ticked, at most), and one submit button."""

    def __init__(self):
        super().__init__()
        self.names: list[str] = []
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "story_form":
            self.in_form = True
        elif (
            self.in_form
            and tag in {"input", "select", "textarea"}
            and attrs.get("name")
            and attrs.get("type") not in {"submit", "button"}
        ):
            self.names.append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False


def test_a_story_at_the_section_limit_is_saved_from_the_admin(client, editor):
    """At MAX_SECTIONS sections the form posts within Django's limit and saves in order."""
    story = story_with_sections(MAX_SECTIONS)
    url = reverse("admin:articles_story_change", args=[story.pk])
    page = FieldNames()
    page.feed(client.get(url).content.decode())
    assert len(page.names) + 1 < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert page.names.count("sections-99-body") == 1

    data = story_form_data(story, sections=sections(MAX_SECTIONS, "New"))
    assert len(data) + 2 < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS  # with the CSRF token, _save
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    saved = [(s.subheading, s.body) for s in story.sections.order_by("position")]
    assert saved == sections(MAX_SECTIONS, "New")
    story.refresh_from_db()
    assert story.version == 2


def test_one_section_over_the_limit_is_refused_with_a_message(client, editor):
    """MAX_SECTIONS + 1 sections: the form says so, and nothing is saved."""
    story = story_with_sections(MAX_SECTIONS)
    url = reverse("admin:articles_story_change", args=[story.pk])
    data = story_form_data(story, headline="Not saved", sections=sections(MAX_SECTIONS + 1, "New"))
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A story has at most 100 sections: remove some" in response.content.decode()
    story.refresh_from_db()
    assert (story.headline, story.version) != ("Not saved", 2)
    assert story.version == 1
    assert story.sections.count() == MAX_SECTIONS
    assert not story.sections.filter(body__startswith="New").exists()


def headlines(html: str) -> list[str]:
    return re.findall(r'<th class="field-headline"><a [^>]*>([^<]+)</a>', html)


QUERY_BUDGET = 14
"""Session, user, the user's permissions (two), tag, place and credit filters, the count,
the page, its tags, the date hierarchy (two): the same with any number of stories."""


def search_admin(client, query, django_assert_max_num_queries) -> tuple[list[str], list[str]]:
    """The headlines listed for ``query``, and the SQL of the queries that searched the
    stories (not the date hierarchy's, a DISTINCT over one truncated date)."""
    url = reverse("admin:articles_story_changelist")
    with (
        CaptureQueriesContext(connection) as captured,
        django_assert_max_num_queries(QUERY_BUDGET),
    ):
        response = client.get(url, {"q": query})
    assert response.status_code == 200
    searching = [
        sql
        for sql in (q["sql"] for q in captured.captured_queries)
        if ("websearch_to_tsquery" in sql or query.lower() in sql.lower())
        and "trunc" not in sql.lower()
    ]
    return headlines(response.content.decode()), searching


@pytest.fixture
def archive():
    """A draft whose only mention of Lachin is deep in a section, and stories without."""
    draft = make_story(
        headline="Talks go on",
        status=Story.Status.DRAFT,
        ago=None,
        sections=[("", ["Negotiators met."]), ("Corridor", ["Convoys left Lachin at dawn."])],
    )
    live = make_story(headline="Markets steady", dateline_place="BAKU", dateline_credit="AFP")
    make_story(headline="Weather")
    search.refresh_stories([story.pk for story in Story.objects.all()])
    return draft, live


def test_admin_search_finds_a_word_in_a_drafts_section_through_the_index(
    client, editor, archive, django_assert_max_num_queries
):
    """A word only in a section finds the story in few queries, without DISTINCT or join."""
    found, sql = search_admin(client, "Lachin", django_assert_max_num_queries)
    assert found == ["Talks go on"]
    assert sql
    for query in sql:
        assert "DISTINCT" not in query.upper()
        assert 'JOIN "articles_section"' not in query


@pytest.mark.parametrize(
    ("query", "found"),
    [("BAKU", "Markets steady"), ("AF", "Markets steady"), ("teady", "Markets steady")],
)
def test_admin_search_matches_dateline_and_headline_as_typed(
    client, editor, archive, django_assert_max_num_queries, query, found
):
    """Short or partial terms still find the dateline place, credit and headline."""
    assert search_admin(client, query, django_assert_max_num_queries)[0] == [found]


def test_admin_search_with_nothing_to_look_for_finds_nothing(
    client, editor, archive, django_assert_max_num_queries
):
    """Punctuation alone is not a search for every story."""
    assert search_admin(client, "&&&", django_assert_max_num_queries)[0] == []
