"""What only PostgreSQL has: the lexicon of typo tolerance, and ``pg_trgm`` itself."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import search
from articles.models import SearchWord
from articles.search.results import SearchResults
from articles.search.sqlite import similarity
from tests.search.helpers import postgresql_only, story_with

pytestmark = [pytest.mark.django_db, postgresql_only]


def test_the_lexicon_holds_the_words_of_refreshed_stories():
    """Typo tolerance compares query words with the lexicon, the stems of the stored vectors
    (not numbers); a rebuild drops the words no story has any longer."""
    story_with("Minister Pashinyan spoke in Kirkenes in 2023.")
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"pashinyan", "kirken", "minist", "spoke"} <= words
    assert "2023" not in words
    SearchWord.objects.create(word="obsoletus")
    search.refresh_all()
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert "obsoletus" not in words
    assert "pashinyan" in words


PAIRS = [
    ("pashinian", "pashinyan"),
    ("kirkenas", "kirkenes"),
    ("harbor", "harbour"),
    ("peace", "peacekeepers"),
    ("numbat", "number"),
    ("pepz", "pz"),
    ("aaaa", "aaaaaaaa"),
    ("alesund", "ålesund"),
    ("zanzibr", "zanzibar"),
]


def test_sqlite_typo_tolerance_computes_similarity_as_pg_trgm_does():
    """The SQLite backend's trigram similarity of two words is ``pg_trgm``'s."""
    with connection.cursor() as cursor:
        for word, other in PAIRS:
            cursor.execute("SELECT similarity(%s, %s)", [word, other])
            assert similarity(word, other) == pytest.approx(cursor.fetchone()[0], abs=1e-6)


def test_the_newest_matches_are_read_window_by_window_and_are_the_newest(monkeypatch):
    """A word in more stories than ``max_results``: exactly its newest ones, read in
    newest-first windows (the last week; a window sized from the matches the week held; the
    rest of the archive), one query each, nothing older ahead of anything newer."""
    monkeypatch.setattr(SearchResults, "max_results", 5)
    days = [1, 12, 20, 40, 60, 400, 800, 2000]
    stories = [story_with("Wombat burrow.", ago=timedelta(days=n)) for n in days]
    with CaptureQueriesContext(connection) as queries:
        results = search.search_stories("wombat")
        assert results.count() == 5 and results.more
    windows = [q for q in queries if "ts_rank" in q["sql"]]
    assert len(windows) == 3
    assert [story.pk for story in results[0:20]] == [story.pk for story in stories[:5]]
