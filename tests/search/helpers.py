"""What the search tests share: stories with fresh search fields, and reading results pages."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import search
from articles.models import Story
from tests.factories import make_story

POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(
    not POSTGRESQL,
    reason="stored vectors, the lexicon and their limits are PostgreSQL's; "
    "run with DATABASE_URL=postgres://…",
)


def story_with(text: str, **fields) -> Story:
    """A published story whose one paragraph is ``text``, with fresh search fields."""
    story = make_story(sections=[("", [text])], **fields)
    search.refresh_stories([story.pk])
    return story


def search_page(client, query: str, **params):
    response = client.get(reverse("articles:search"), {"q": query, **params})
    assert response.status_code == 200
    return response


def main(response) -> str:
    """The page's own content, without the sidebar that lists the latest stories."""
    return re.search(r"<main .*?</main>", response.content.decode(), re.S).group()


def results(response) -> list[Story]:
    """The stories a results page lists, in its order, known by the addresses it links."""
    urls = re.findall(
        r'<article class="story-card search-result">\s*<h2><a href="([^"]+)">', main(response)
    )
    stories = {story.get_absolute_url(): story for story in Story.objects.all()}
    return [stories[url] for url in urls]


def found(client, query: str, **params) -> list[Story]:
    return results(search_page(client, query, **params))


def snippets(response) -> list[str]:
    """Each result's snippet, as HTML, in the page's order."""
    return re.findall(r'<p class="snippet">(.*?)</p>', main(response))


def query_in_form(response) -> str:
    """The query the page searched for, as it fills the search box."""
    value = re.search(
        r'<input type="search" id="search-query" name="q" value="([^"]*)"',
        response.content.decode(),
    )
    return unescape(value.group(1))


def page_number(response) -> int:
    return int(re.search(r"<span>Page (\d+) of \d+</span>", main(response)).group(1))


def headlines(query: str) -> list[str]:
    return [story.headline for story in search.search_stories(query)]


def count_queries(client, query: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        search_page(client, query)
    return len(queries)
