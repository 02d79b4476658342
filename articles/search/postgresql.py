"""The PostgreSQL backend: ranked full-text matches, then typo matches, through GIN indexes.

Whatever the size of the archive, a search does bounded work: it counts and ranks at most
``SearchResults.max_results`` matches, and typo tolerance compares the query's words with
the lexicon (``SearchWord``), not with every document. A story whose text holds a word close
to the query's ("Pashinyan" for "Pashinian") matches too, ranked after every exact match.

What readers see: a word in fewer than ``max_results`` stories has all its matches ranked,
however old; for a word in more (a very common word), the best matches among its newest
``max_results`` matches, best first, and "more than 1,000 stories". The newest matches are
found in newest-first windows of publication time (``PostgreSQLResults._newest``), so that
the work follows the matches kept, not how many stories in the archive hold the word.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, timedelta
from functools import partial

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import OperationalError, connections, transaction
from django.db.models import BooleanField, Case, F, FloatField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Extract
from django.utils import timezone

from articles.models import SearchWord
from articles.search.indexing import CONFIG
from articles.search.query import WORD, split_websearch, websearch
from articles.search.results import Candidate, RankedResults
from articles.search.snippets import START_SEL, STOP_SEL, marked_snippet

logger = logging.getLogger(__name__)

# Typo tolerance needs words long enough for their trigrams to mean something: with three
# letters or fewer almost every story has a "similar" word.
TYPO_MIN_WORD_LENGTH = 4
TYPO_MIN_SIMILARITY = 0.3
TYPO_ALTERNATIVES = 5
# A safety net against a bad plan, not a budget: the typo query's work is bounded by its
# LIMIT, and a busy machine must not turn a findable typo into "no results".
TYPO_TIMEOUT_MS = 500
# Characters of a story's text given to ts_headline around the first likely match.
SNIPPET_WINDOW = 800
SIMPLE_WORD = re.compile(r"^\w+$")
# Newest-first windows for the candidates (PostgreSQLResults._newest): the first one; the
# share of the matches wanted that makes a word common enough, when the first window holds
# it, to walk back for the rest; the longest second window (past that, the rest of the
# archive is read at once); how many more matches than it needs the second one is sized for.
FIRST_WINDOW = timedelta(days=7)
COMMON_SHARE = 0.25
LONGEST_WINDOW = timedelta(days=90)
WINDOW_MARGIN = 1.25

# For each query word: its own stems (what the exact query looks for) and the closest
# words of the lexicon; `%` lets the trigram index find them (pg_trgm's similarity
# threshold, 0.3 by default), the explicit similarity keeps TYPO_MIN_SIMILARITY.
LEXICON_SQL = f"""
SELECT t.word, close.word, false
FROM unnest(%s::text[]) AS t(word)
CROSS JOIN LATERAL (
    SELECT s.word FROM {SearchWord._meta.db_table} s
    WHERE s.word %% t.word AND similarity(s.word, t.word) >= %s
    ORDER BY similarity(s.word, t.word) DESC, s.word
    LIMIT %s
) AS close
UNION ALL
SELECT t.word, v.lexeme, true
FROM unnest(%s::text[]) AS t(word), unnest(to_tsvector('{CONFIG}', t.word)) AS v
"""


class LexemeQuery(SearchQuery):
    """A tsquery written in PostgreSQL's own syntax and cast as it is: no parsing, no
    stemming, for lexemes taken from the stored vectors (``'pashinyan' | 'pashinian'``)."""

    template = "(%(expressions)s)::tsquery"

    def __init__(self, text: str) -> None:
        super().__init__(text, search_type="raw")


def _lexeme(word: str) -> str:
    """One lexeme quoted for tsquery input."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _ranked(stories: QuerySet, query, limit: int, *, exact: bool) -> list[Candidate]:
    """The newest ``limit`` of these stories, each with its rank for ``query``."""
    rows = (
        stories.annotate(
            rank=SearchRank(F("search_vector"), query),
            published=Cast(Extract("published_at", "epoch", tzinfo=UTC), FloatField()),
        )
        .order_by("-published_at", "-pk")
        .values_list("pk", "rank", "published")[:limit]
    )
    return [Candidate(pk, exact, rank, published) for pk, rank, published in rows]


class PostgreSQLResults(RankedResults):
    """Ranked full-text matches first, then typo matches, through the GIN indexes only.

    - **Exact matches**: the newest ``max_results + 1`` matches, each with its ``ts_rank``,
      read in one to three newest-first windows of publication time (``_newest``). That
      is the count (capped: "more than 1,000") and the set that is ranked and paged. A word
      with fewer matches has them all ranked, however old; a word in more than
      ``max_results`` stories has the best of its newest ``max_results`` shown, since a
      reader of news wants recent stories and can add a word to narrow the search.
    - **Typo matches**, only while there is room under the cap: each query word of four
      letters or more is looked up in the lexicon (``SearchWord``, a GIN trigram index on
      the archive's distinct words, not on whole documents); its own stem and its closest
      words (``TYPO_ALTERNATIVES``, trigram similarity at least ``TYPO_MIN_SIMILARITY``)
      make a text-search query (``'pashinian' | 'pashinyan'``) run like the exact one,
      against stories that are not exact matches, newest first (at most
      ``typo_max_results``), under a ``TYPO_TIMEOUT_MS`` limit. ``ts_headline`` marks the
      word the story really has.

    Queries: the exact candidates (one query per window); with typo terms and room, the
    lexicon, and the typo candidates when a word has a close spelling (inside a transaction
    or savepoint that scopes their time limit; windows too); the page, with ``ts_headline``
    for its rows only.
    """

    def __init__(self, stories: QuerySet, query: str) -> None:
        super().__init__(stories)
        self.wanted, self.negated = split_websearch(query)
        self.typo_lexemes: set[str] = set()
        self.fts = websearch(query)
        self.exact = Q(search_vector=self.fts)
        # A quoted phrase is matched word by word: every word, or a spelling close to it.
        self.typo_terms = list(
            dict.fromkeys(
                term for term in self.wanted if len(term.replace(" ", "")) >= TYPO_MIN_WORD_LENGTH
            )
        )
        self.typo_query: SearchQuery | None = None
        self._candidates: list[Candidate] | None = None

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        # The newest max_results (exact matches before typo ones), best first.
        chosen = self._chosen(index)
        if not chosen:
            return []
        exact_pks = [c.pk for c in chosen if c.exact]
        by_pk = self._page_stories([c.pk for c in chosen], exact_pks, windowed=True)
        # A window that held a word like the query's but no real match: the whole text.
        again = [
            pk
            for pk, story in by_pk.items()
            if story.in_window and START_SEL not in (story.headline_text or "")
        ]
        if again:
            by_pk.update(self._page_stories(again, exact_pks, windowed=False))
        return self._placed(chosen, by_pk, lambda story: marked_snippet(story.headline_text or ""))

    def _page_stories(self, pks: list[int], exact_pks: list[int], *, windowed: bool) -> dict:
        """The page's stories by id, each with ``headline_text`` from ``ts_headline``.

        ``ts_headline`` parses all the text it is given, most of a results page's time. So,
        ``windowed``, it gets only ``SNIPPET_WINDOW`` characters of the text around the
        first word that begins like a query word (or a typo's stem), found by a regular
        expression (``in_window``); the whole text when there is none, or before
        PostgreSQL 15 (no ``regexp_instr``).
        """
        source = F("search_document")
        in_window = Value(False)
        prefixes = self._prefixes()
        if windowed and prefixes and connections[self.stories.db].pg_version >= 150000:
            pattern = r"\m(?:" + "|".join(prefixes) + ")"
            position = "regexp_instr(search_document, %s, 1, 1, 0, 'i')"
            source = RawSQL(
                f"CASE WHEN {position} > 0 THEN substr(search_document, "
                f"greatest(1, {position} - %s), %s) ELSE search_document END",
                [pattern, pattern, SNIPPET_WINDOW // 4, SNIPPET_WINDOW],
                output_field=TextField(),
            )
            in_window = RawSQL(f"{position} > 0", [pattern], output_field=BooleanField())
        headline = partial(
            SearchHeadline,
            source,
            config=CONFIG,
            start_sel=START_SEL,
            stop_sel=STOP_SEL,
            max_words=35,
            min_words=15,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
        if self.typo_query is not None and len(exact_pks) < len(pks):
            snippet = Case(
                When(pk__in=exact_pks, then=headline(self.fts)),
                default=headline(self.typo_query),
                output_field=TextField(),
            )
        else:
            snippet = headline(self.fts)
        # Through the public rule again: a story unpublished a moment ago drops out.
        stories = (
            self.stories.filter(pk__in=pks)
            .for_readers()
            .annotate(headline_text=snippet, in_window=in_window)
            .order_by()
        )
        return {story.pk: story for story in stories}

    def _prefixes(self) -> list[str]:
        """The beginnings of the words that the snippets mark: each query word less its last
        three letters (English stems mostly cut a suffix), and the typo query's stems."""
        words = {word.lower() for term in self.wanted for word in WORD.findall(term)}
        prefixes = {word if len(word) <= 3 else word[: max(3, len(word) - 3)] for word in words}
        prefixes |= self.typo_lexemes
        if not all(SIMPLE_WORD.match(prefix) for prefix in prefixes):
            return []  # nothing but letters, digits and _ goes into the expression
        return sorted(prefixes)

    def _find(self) -> list[Candidate]:
        if self._candidates is None:
            limit = self.max_results + 1
            found = self._newest(self.stories.filter(self.exact), self.fts, limit)
            if len(found) <= self.max_results and self.typo_terms:
                self.typo_query = self._typo_query()
                if self.typo_query is not None:
                    room = min(self.max_results - len(found), self.typo_max_results) + 1
                    found += self._typo_candidates(room)
            self._candidates = found
        return self._candidates

    @staticmethod
    def _newest(stories: QuerySet, query, limit: int, *, exact: bool = True) -> list[Candidate]:
        """The newest ``limit`` of these stories, each with its rank for ``query``.

        Looked for in newest-first windows of publication time: the last ``FIRST_WINDOW``;
        then, when that held some matches but under ``COMMON_SHARE`` of ``limit``, a window
        as much longer as its matches suggest (with ``WINDOW_MARGIN``), unless that would
        pass ``LONGEST_WINDOW``; then the rest of the archive. The windows do not overlap and
        are read newest first, so the result is exactly the newest ``limit`` matches, one
        query per window read.

        A common word is done in the first window (a walk back along the ``published_at``
        index that stops at ``limit`` matches), or walks on for the rest; a rare one is read
        from the GIN index. A word in a few percent of the stories, the one whose cost grew
        with the archive (a walk back to its ``limit``-th match, or every match read from
        the GIN index), reads its second window as the intersection of the GIN index and the
        ``published_at`` range: about 1.25 times the matches it keeps (at 1,000,000 stories,
        23 ms against 38 for a word in 3% of them; ``benchmarks/README.md``).
        """
        edge = timezone.now() - FIRST_WINDOW
        found = _ranked(stories.filter(published_at__gte=edge), query, limit, exact=exact)
        if found and len(found) < limit * COMMON_SHARE:
            span = FIRST_WINDOW * (WINDOW_MARGIN * (limit - len(found)) / len(found))
            if span < LONGEST_WINDOW:
                window = stories.filter(published_at__gte=edge - span, published_at__lt=edge)
                found += _ranked(window, query, limit - len(found), exact=exact)
                edge -= span
        if len(found) < limit:
            older = stories.filter(published_at__lt=edge)
            found += _ranked(older, query, limit - len(found), exact=exact)
        return found

    def _typo_query(self) -> SearchQuery | None:
        """The query for typo matches, or None when no word has a close spelling."""
        words = list(dict.fromkeys(w.lower() for term in self.typo_terms for w in term.split()))
        # A short word of a phrase ("war") must be itself: too many words look like it.
        long_words = [word for word in words if len(word) >= TYPO_MIN_WORD_LENGTH]
        with connections[self.stories.db].cursor() as cursor:
            cursor.execute(
                LEXICON_SQL, [long_words, TYPO_MIN_SIMILARITY, TYPO_ALTERNATIVES, words]
            )
            rows = cursor.fetchall()
        own: dict[str, set[str]] = {}
        close: dict[str, set[str]] = {}
        for word, lexeme, is_own in rows:
            (own if is_own else close).setdefault(word, set()).add(lexeme)
        groups, any_close = [], False
        for word in words:
            lexemes = own.get(word, set()) | close.get(word, set())
            if not lexemes:
                continue  # a stop word ("about"), or nothing like it in the archive
            any_close = any_close or bool(close.get(word, set()) - own.get(word, set()))
            self.typo_lexemes |= lexemes
            groups.append("(" + " | ".join(_lexeme(lexeme) for lexeme in sorted(lexemes)) + ")")
        if not any_close:
            return None
        query = LexemeQuery(" & ".join(groups))
        if self.negated:
            # "-Putin" excludes typo matches too.
            excluded = " ".join(f'-"{phrase}"' for phrase in self.negated)
            query &= websearch(excluded)
        return query

    def _typo_candidates(self, limit: int) -> list[Candidate]:
        stories = self.stories.filter(search_vector=self.typo_query).exclude(self.exact)
        using = self.stories.db
        try:
            with transaction.atomic(using=using):
                with connections[using].cursor() as cursor:
                    # Local to this transaction (or savepoint), which is rolled back below.
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        [f"{TYPO_TIMEOUT_MS}ms"],
                    )
                found = self._newest(stories, self.typo_query, limit, exact=False)
                transaction.set_rollback(True, using=using)
        except OperationalError:
            logger.warning(
                "Typo matching gave up after %s ms: %r", TYPO_TIMEOUT_MS, self.typo_terms
            )
            return []
        return found
