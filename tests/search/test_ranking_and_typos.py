"""Ranking, query syntax, stemming and typo tolerance: the same behaviour on both databases
(the stored vectors and lexicon on PostgreSQL, the FTS5 index and its vocabulary on SQLite)."""

from datetime import timedelta

import pytest

from articles import search
from articles.models import Story
from articles.search.postgresql import PostgreSQLResults
from articles.search.sqlite import SQLiteResults
from tests.factories import make_story
from tests.search.helpers import (
    count_queries,
    found,
    main,
    results,
    search_page,
    snippets,
    story_with,
)

pytestmark = pytest.mark.django_db


def test_a_typo_finds_the_demo_story_with_the_real_word_marked(client, demo_story):
    """ "Pashinian" finds the story that says "Pashinyan", and marks "Pashinyan"."""
    search.refresh_stories([demo_story.pk])
    assert found(client, "Pashinian") == [demo_story]
    assert "<mark>Pashinyan</mark>" in main(search_page(client, "Pashinian"))


def test_headline_matches_rank_above_body_matches(client):
    """A word in the headline outranks the same word in a paragraph, newer or not."""
    in_headline = story_with("Ice is melting.", headline="Glacier retreats", ago=timedelta(days=2))
    in_body = story_with("A glacier was seen.", headline="Mountain news", ago=timedelta(hours=1))
    assert found(client, "glacier") == [in_headline, in_body]
    ranked = search.search_stories("glacier")[0:20]
    assert ranked[0].rank > ranked[1].rank


def test_a_subheading_outranks_a_paragraph():
    """Subheadings weigh more than paragraphs (PostgreSQL's weight B against C)."""
    in_paragraph = story_with("The okapi was seen.", ago=timedelta(hours=1))
    in_subheading = make_story(
        sections=[("", ["The lead."]), ("Okapi sighting", ["More."])], ago=timedelta(days=3)
    )
    search.refresh_stories([in_subheading.pk])
    assert [s.pk for s in search.search_stories("okapi")[0:20]] == [
        in_subheading.pk,
        in_paragraph.pk,
    ]


def test_equal_ranks_list_the_newest_first():
    """Stories that match alike are listed newest first, with their rank as a number."""
    old = story_with("A heron landed.", ago=timedelta(days=9))
    new = story_with("A heron landed.", ago=timedelta(days=1))
    ranked = search.search_stories("heron")[0:20]
    assert [story.pk for story in ranked] == [new.pk, old.pk]
    assert ranked[0].rank == ranked[1].rank > 0
    assert all(story.exact_match for story in ranked)


def test_websearch_syntax_phrases_exclusions_and_or(client):
    """Quoted phrases, ``-word`` and ``or`` work as on a web search engine."""
    with_putin = story_with("A peace deal was signed, Putin said.")
    without = story_with("A peace deal was signed in Yerevan.")
    apart = story_with("Peace came before any deal in Tbilisi.")
    assert found(client, '"peace deal" -Putin') == [without]
    assert set(found(client, '"peace deal"')) == {with_putin, without}
    assert set(found(client, "peace deal")) == {with_putin, without, apart}
    assert set(found(client, "Yerevan or Tbilisi")) == {without, apart}
    assert found(client, '-Putin "peace deal" -Yerevan') == []


def test_words_are_stemmed(client):
    """ "agreements" finds "agreement" and "negotiating" finds "negotiations", as exact
    matches; a word is found whole, never as a part of another ("war" in "Warsaw")."""
    agreement = story_with("The agreement was signed.")
    talks = story_with("Negotiations resumed in Warsaw.")
    assert found(client, "agreements") == [agreement]
    assert found(client, "negotiating") == [talks]
    assert all(story.exact_match for story in search.search_stories("negotiating")[0:20])
    assert found(client, "war") == []


def test_diacritics_and_case_are_ignored(client):
    """ "alesund" finds "Ålesund", and "ÅLESUND" too."""
    story = story_with("Ferries left Ålesund at dawn.")
    assert found(client, "alesund") == [story]
    assert found(client, "ÅLESUND") == [story]


def test_exclusions_apply_to_typo_matches_too(client):
    """``-word`` also keeps out stories found by typo tolerance."""
    story_with("Minister Pashinyan spoke with Putin.")
    assert found(client, "Pashinian -Putin") == []


def test_typo_matches_come_after_exact_matches(client):
    """Stories with the exact word come first, those with a close spelling after."""
    close = story_with("Talks with Pashinian today.", ago=timedelta(minutes=5))
    exact = story_with("Talks with Pashinyan today.", ago=timedelta(days=3))
    response = search_page(client, "Pashinyan")
    assert results(response) == [exact, close]
    assert "<mark>Pashinian</mark>" in snippets(response)[1]
    ranked = search.search_stories("Pashinyan")[0:20]
    assert [story.exact_match for story in ranked] == [True, False]


def test_a_typo_in_a_short_word_is_not_guessed(client):
    """Words of three letters or fewer must be spelt right: too many words look alike."""
    story_with("The war is over.")
    assert found(client, "wor") == []


def test_typo_matches_never_include_drafts_or_scheduled_stories(client):
    """Typo tolerance reads through the same rule for public as everything else."""
    story_with("Zanzibar ferry.", headline="Draft", status=Story.Status.DRAFT)
    story_with("Zanzibar ferry.", headline="Scheduled", ago=-timedelta(hours=2))
    live = story_with("Zanzibar ferry.", headline="Live")
    assert found(client, "Zanzibr") == [live]


def test_a_typo_finds_an_old_story_and_ranks_its_words(client):
    """A misspelt word finds a story from years ago, and a misspelt phrase needs each of its
    words (or one close to it): "Kirkenas harbor" finds "Kirkenes harbour" only."""
    old = story_with("The Kirkenes harbour reopened.", ago=timedelta(days=3000))
    new = story_with("The Kirkenes airport reopened.")
    assert found(client, "Kirkenas") == [new, old]
    assert found(client, '"Kirkenas harbor"') == [old]
    assert "<mark>Kirkenes</mark>" in snippets(search_page(client, '"Kirkenas harbor"'))[0]


def test_snippets_find_the_match_however_far_into_the_story():
    """The snippet shows the passage with the match, however far into the story; a word
    that only looks like the query's ("Azerbaijani" for "Azerbaijan") is not marked."""
    filler = " ".join(["Nothing to see here."] * 80)
    story_with(f"Azerbaijani officials spoke. {filler} Then Azerbaijan answered.")
    story_with(f"{filler} At the end, Azerbaijan answered.")
    snippets = [str(story.snippet) for story in search.search_stories("Azerbaijan")[0:20]]
    assert len(snippets) == 2
    assert all("<mark>Azerbaijan</mark> answered" in snippet for snippet in snippets)


def test_typo_matches_are_bounded_too(client, monkeypatch):
    """Only the newest ``typo_max_results`` typo matches are ranked; the page says there
    are more."""
    for backend in (PostgreSQLResults, SQLiteResults):
        monkeypatch.setattr(backend, "typo_max_results", 2)
    stories = [story_with("Ferry to Kirkenes.", ago=timedelta(days=n + 1)) for n in range(4)]
    results = search.search_stories("Kirkenas")
    assert results.count() == 2 and results.more
    assert {story.pk for story in results[0:20]} == {story.pk for story in stories[:2]}
    assert "More than 2 stories matching" in main(search_page(client, "Kirkenas"))


def test_typo_pages_also_run_a_fixed_number_of_queries(client):
    """With typo matching the query count is higher, but still not per result (counted
    once SQLite has read the archive's words since they last changed)."""
    story_with("Report from Kirkenes.")
    assert len(search.search_stories("Kirkenas")[0:20]) == 1
    one = count_queries(client, "Kirkenas")
    for n in range(6):
        story_with(f"Report {n} from Kirkenes.")
    assert len(search.search_stories("Kirkenas")[0:20]) == 7
    assert count_queries(client, "Kirkenas") == one
