"""The search page and ``search_stories`` on both databases: what is found, paging, the cap."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import search
from articles.models import Story
from articles.search import views
from articles.search.results import SearchResults
from tests.factories import make_story
from tests.search.helpers import (
    count_queries,
    found,
    main,
    page_number,
    query_in_form,
    results,
    search_page,
    story_with,
)

pytestmark = pytest.mark.django_db


def test_a_word_finds_the_demo_story_with_the_word_marked(client, demo_story):
    """ "Pashinyan" finds the seed story, linked, with the word marked in the snippet."""
    search.refresh_stories([demo_story.pk])
    response = search_page(client, "Pashinyan")
    assert found(client, "Pashinyan") == [demo_story]
    html = main(response)
    assert f'<a href="{demo_story.get_absolute_url()}">{demo_story.headline}</a>' in html
    assert "<mark>Pashinyan</mark>" in html
    assert "BAKU" in html
    assert "1 story matching" in html
    assert response["X-Robots-Tag"] == "noindex, follow"


def test_a_word_in_a_subheading_is_found(client):
    """Subheadings are searched as well as the headline and paragraphs."""
    story = make_story(sections=[("", ["The lead."]), ("Harbour talks", ["More."])])
    search.refresh_stories([story.pk])
    assert found(client, "harbour") == [story]


def test_drafts_and_scheduled_stories_never_appear(client):
    """Only published stories whose time has come are found."""
    live = story_with("Zanzibar ferry news.", headline="Zanzibar live")
    story_with("Zanzibar ferry news.", headline="Zanzibar draft", status=Story.Status.DRAFT)
    story_with("Zanzibar ferry news.", headline="Zanzibar scheduled", ago=-timedelta(days=1))
    assert found(client, "Zanzibar") == [live]
    assert "Zanzibar draft" not in main(search_page(client, "Zanzibar ferry"))


def test_an_empty_query_asks_for_a_word(client):
    """No query: the form and a calm prompt, no results."""
    response = search_page(client, "")
    html = main(response)
    assert "Type a word to search" in html
    assert '<input type="search" id="search-query" name="q" value=""' in html
    assert '<label for="search-query">' in html
    assert results(response) == []
    assert "search-summary" not in html and "No stories match" not in html


def test_no_match_says_so(client):
    """A query that matches nothing says so calmly."""
    story_with("Nothing to see.")
    assert "No stories match “Xylophonist”" in main(search_page(client, "Xylophonist"))


ODD_QUERIES = [
    " ",
    "\t \n",
    "&&&",
    "!!!",
    "|",
    "((((",
    "a:*",
    "\\",
    '"',
    '"unclosed phrase',
    '""',
    "-",
    "-Putin",
    "or",
    "OR OR",
    "'; DROP TABLE articles_story; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    "Pashin\x00yan",
    "\x00",
    "東京 Ålesund ÇAĞ 🙂",
    "\u202eevil",
    "x" * 10_000,
    "word " * 2_000,
    "Pashinyan " * 40,
    # FTS5's own syntax, which must reach it as words or not at all.
    "*",
    "Pashin*",
    "^Pashinyan",
    "NEAR(Pashinyan Putin)",
    "NEAR",
    "AND",
    "NOT Pashinyan",
    "Pashinyan AND OR NOT",
    "headline:Pashinyan",
    "{headline body}: Pashinyan",
    "(Pashinyan",
    "Pashinyan)",
    "()",
    '"Pashinyan" + "Aliyev"',
    'Pash"inyan',
    '""""',
    '-"',
    "- -",
    "_",
    "__init__",
    "Pashinyan_Aliyev",
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=lambda q: repr(q[:20]))
def test_odd_queries_answer_calmly(client, demo_story, query):
    """Empty, punctuation, operators (websearch's and FTS5's), SQL, NUL, unicode and huge
    queries all give a page, and the admin's filter takes them too."""
    search.refresh_stories([demo_story.pk])
    response = search_page(client, query)
    html = main(response)
    assert "<script>alert" not in html
    assert "\x00" not in html
    assert query_in_form(response) == search.clean_query(query)
    assert len(query_in_form(response)) <= search.MAX_QUERY_LENGTH
    assert Story.objects.filter(search.matching(search.clean_query(query))).count() <= 1


@pytest.mark.parametrize(
    "query",
    ["Pashinyan*", "^Pashinyan", "(Pashinyan)", "Pashinyan:", "{Pashinyan}", "+Pashinyan"],
)
def test_operators_are_read_as_the_words_around_them(client, demo_story, query):
    """FTS5's syntax characters are no syntax to the search box: the word still finds."""
    search.refresh_stories([demo_story.pk])
    assert found(client, query) == [demo_story]


@pytest.mark.parametrize("query", ["", "&&&", "-Putin", "or"])
def test_a_query_with_nothing_to_look_for_asks_nothing_of_the_database(query):
    """No wanted word: no results, and not one query (the admin's filter matches nothing)."""
    with CaptureQueriesContext(connection) as queries:
        assert search.search_stories(query).count() == 0
    assert len(queries) == 0
    make_story()
    assert not Story.objects.filter(search.matching(query)).exists()


def test_a_nul_byte_in_the_address_is_dropped(client):
    """``%00`` never reaches the database (PostgreSQL refuses NUL in text)."""
    response = client.get("/search/?q=%00Baku%00")
    assert response.status_code == 200
    assert query_in_form(response) == "Baku"


def test_a_long_query_is_cut_before_searching(client):
    """A 10,000-character query is searched as its first 200 characters."""
    html = main(search_page(client, "y" * 10_000))
    assert 'value="' + "y" * 200 + '"' in html
    assert "y" * 201 not in html


def test_snippets_escape_the_story_text(client):
    """Story text is text: a ``<script>`` in it is shown escaped, only ``<mark>`` is HTML."""
    story_with(
        'Quokka <script>alert("x")</script> & <b>bold</b> claims.',
        headline="Quokka <i>news</i>",
    )
    html = main(search_page(client, "Quokka"))
    assert "<script" not in html
    assert "<b>" not in html and "<i>" not in html
    # PostgreSQL's snippets leave out what its parser takes for tags; SQLite's keep them.
    assert "alert(&quot;x&quot;)" in html
    assert "<mark>Quokka</mark>" in html


def test_the_admin_filter_matches_drafts_as_the_site_search_matches_stories():
    """``matching()`` finds drafts too, by the same words as the readers' search."""
    draft = story_with("Tapir spotted.", status=Story.Status.DRAFT)
    live = story_with("Tapir tracks.")
    story_with("Nothing here.")
    assert set(Story.objects.filter(search.matching("tapir"))) == {draft, live}
    assert list(Story.objects.filter(search.matching("tapir -tracks"))) == [draft]


def test_results_are_paginated_twenty_a_page(client):
    """25 matches: 20, then 5; a page past the end shows the last; nonsense shows the first."""
    for n in range(25):
        story_with(f"Wombat report number {n}.", headline=f"Wombat {n}")
    first = search_page(client, "wombat")
    assert len(results(first)) == 20
    html = main(first)
    assert "25 stories matching “wombat”, showing 1–20." in html
    assert 'href="?q=wombat&amp;page=2" rel="next"' in html
    second = search_page(client, "wombat", page=2)
    assert len(results(second)) == 5
    assert 'href="?q=wombat&amp;page=1" rel="prev"' in main(second)
    assert page_number(search_page(client, "wombat", page=99)) == 2
    assert page_number(search_page(client, "wombat", page="abc")) == 1
    seen = {s.pk for s in results(first)} | {s.pk for s in results(second)}
    assert len(seen) == 25


def test_the_number_of_queries_does_not_grow_with_the_results(client):
    """One match or 25, a results page runs the same few queries.

    At most 12 here: on PostgreSQL the exact candidates (two windows: the last week, then
    the rest), the lexicon, the typo candidates (``numbat`` is close to ``number``, from the
    factory's headlines; two windows too) between the four statements of the savepoint that
    scopes their time limit, the page, the sidebar's latest stories and the time of the next
    scheduled story. (Outside a test's transaction the savepoint is one ``set_config``.)
    """
    story_with("Numbat sighting.", tags=["Wildlife"])
    one = count_queries(client, "numbat")
    for n in range(24):
        story_with(f"Numbat sighting {n}.", tags=["Wildlife", f"Place {n}"])
    assert count_queries(client, "numbat") == one
    assert one <= 12


TRANSACTION_CONTROL = re.compile(r"^(BEGIN|SAVEPOINT|RELEASE|ROLLBACK|SELECT set_config)", re.I)


def test_search_itself_reads_in_a_few_queries():
    """Counting and reading a page is a few reads, however many stories match. PostgreSQL:
    the exact candidates with their ranks (in two windows: the last week, then the rest),
    the lexicon (no word close to "dingo") and the page, plus any statements scoping a time
    limit. SQLite: the exact candidates, their ranks, the vocabulary's version (its words
    too, when they changed since this process last read them) and the page."""
    for n in range(30):
        story_with(f"Dingo tracks {n}.")
    assert len(search.search_stories("dingo")[0:1]) == 1
    with CaptureQueriesContext(connection) as queries:
        results = search.search_stories("dingo")
        assert results.count() == 30
        assert len(results[0:20]) == 20
    reads = [q["sql"] for q in queries if not TRANSACTION_CONTROL.match(q["sql"])]
    assert len(reads) == 4, reads
    assert len(queries) <= 7


def test_a_common_word_counts_and_pages_a_bounded_number_of_matches(client, monkeypatch):
    """More matches than ``max_results``: the page says "more than" and pages through the
    newest ``max_results`` of them only, so no request counts or ranks them all."""
    monkeypatch.setattr(SearchResults, "max_results", 5)
    monkeypatch.setattr(views, "RESULTS_PER_PAGE", 2)
    stories = [story_with(f"Quoll count {n}.", ago=timedelta(days=n + 1)) for n in range(8)]
    results = search.search_stories("quoll")
    assert results.count() == 5 and results.more
    assert {story.pk for story in results[0:20]} == {story.pk for story in stories[:5]}
    first = search_page(client, "quoll")
    assert (
        "More than 5 stories matching “quoll”: the newest 5, best match first, showing 1–2."
        in (main(first))
    )
    assert page_number(search_page(client, "quoll", page=99)) == 3
    seen = [s.pk for n in (1, 2, 3) for s in found(client, "quoll", page=n)]
    assert sorted(seen) == sorted(story.pk for story in stories[:5])
    few = search.search_stories("quoll 3")
    assert not few.more


def test_a_rare_word_finds_an_old_story_however_many_new_ones_match_the_others(
    client, monkeypatch
):
    """The cap bounds common words only: a specific word still finds a story from years ago,
    alone or beside a common word."""
    monkeypatch.setattr(SearchResults, "max_results", 5)
    for n in range(8):
        story_with(f"Quoll count {n}.")
    old = story_with("Quoll and bilby count.", ago=timedelta(days=3650))
    assert found(client, "bilby") == [old]
    assert found(client, "quoll bilby") == [old]
    assert "1 story matching" in main(search_page(client, "bilby"))
