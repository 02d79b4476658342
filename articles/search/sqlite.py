"""The SQLite backend: ranked FTS5 matches, then typo matches, from an index SQLite keeps.

Migration 0012 makes the index and the triggers that keep it current, whoever writes:
``articles_story_fts``, one row per story (its rowid is the story's id) with the columns
``headline``, ``subheadings``, ``body`` (standfirst and paragraphs) and ``keywords``
(dateline place and tags), stemmed by the ``porter`` tokenizer, diacritics ignored; and
``articles_story_fts_vocab``, the archive's words as written (lower case, no diacritics).

- **Query**: the search box read as PostgreSQL's ``websearch_to_tsquery`` reads it (words,
  "quoted phrases", ``-excluded``, ``or``), every word quoted for FTS5, so that nothing a
  reader types (``"``, ``*``, ``NEAR``, ``^``, ``:``, parentheses) is FTS5 syntax. Unlike
  PostgreSQL, common words ("the") are words like any other.
- **Ranking**: ``bm25`` with PostgreSQL's weights for the four columns (1, 0.4, 0.2, 0.1),
  exact matches first, then typo matches, each by rank, then newest first; like PostgreSQL,
  the newest ``max_results`` matches of a common word are the ones ranked.
- **Typo tolerance**, while there is room under the cap: each query word of four letters or
  more is compared with the vocabulary by trigram similarity as ``pg_trgm`` computes it;
  the closest words (``TYPO_ALTERNATIVES``, similarity at least ``TYPO_MIN_SIMILARITY``)
  make an FTS5 query (``("pashinian" OR "pashinyan")``) for the stories that are not exact
  matches, the newest ``typo_max_results`` of them ranked. ``fts5vocab`` has no trigram
  index and walks every word's list of stories to list the words, so a process reads the
  vocabulary whole once after each change (:func:`read_vocabulary`) and then compares in
  memory. Measured with 650-word stories and a generous vocabulary: reading it takes about
  0.15 s for 1,000 stories (70,000 words) and 0.3 s for 5,000 (120,000 words), comparing a
  few milliseconds. Fine for a site that runs on SQLite; a large or busy archive belongs
  on PostgreSQL, whose lexicon has a trigram index.
- **Snippets**: FTS5's ``snippet()`` from the paragraphs (or else the subheadings), its
  matches marked, escaped by :func:`~articles.search.snippets.marked_snippet`.

Every result comes through ``self.stories`` (``Story.objects.published()`` for readers).
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connections
from django.db.models import Case, F, Func, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL

from articles.search.query import WEBSEARCH_TOKEN, split_websearch
from articles.search.results import Candidate, RankedResults
from articles.search.snippets import START_SEL, STOP_SEL, marked_snippet

FTS_TABLE = "articles_story_fts"
VOCABULARY = "articles_story_fts_vocab"
VOCABULARY_STATE = "articles_story_fts_state"
# bm25's weights for headline, subheadings, body and keywords: ts_rank's for A, B, C and D.
COLUMN_WEIGHTS = (1.0, 0.4, 0.2, 0.1)
SUBHEADINGS_COLUMN, BODY_COLUMN = 1, 2
TYPO_MIN_WORD_LENGTH = 4
TYPO_MIN_SIMILARITY = 0.3
TYPO_ALTERNATIVES = 5
# Tokens in a snippet (FTS5 allows up to 64): about PostgreSQL's 35 words.
SNIPPET_TOKENS = 32
# What the unicode61 tokenizer takes for a word: letters and digits (not "_").
TOKEN = re.compile(r"[^\W_]+")


def fts_phrase(text: str) -> str | None:
    """``text``'s words as one quoted FTS5 phrase (``"peace deal"``), or None if it has
    none. Quoted, the words are strings to FTS5, never operators; they hold no ``"``."""
    words = TOKEN.findall(text)
    return '"' + " ".join(words) + '"' if words else None


def fts_query(query: str) -> str | None:
    """The search box as an FTS5 query, read as ``websearch_to_tsquery`` reads it: words
    and phrases all wanted (``"a" AND "b"``), ``or`` between two of them for either
    (``AND`` binding tighter, as in PostgreSQL), and ``-excluded`` ones ruled out. None when
    nothing is left to look for."""
    wanted: list[str] = []
    excluded: list[str] = []
    joiner = " AND "
    for token in WEBSEARCH_TOKEN.findall(query):
        if token.lower() == "or":
            joiner = " OR " if wanted else " AND "
            continue
        phrase = fts_phrase(token)
        if phrase is None:
            continue
        if token.startswith("-") and len(token) > 1:
            excluded.append(phrase)
            continue
        if not token.startswith('"'):
            # Outside quotes, punctuation separates words ("NEAR(Putin)" is two of them).
            words = [f'"{word}"' for word in TOKEN.findall(token)]
            phrase = words[0] if len(words) == 1 else f"({' AND '.join(words)})"
        if wanted:
            wanted.append(joiner)
        wanted.append(phrase)
        joiner = " AND "
    if not wanted:
        return None
    return with_exclusions("".join(wanted), excluded)


def with_exclusions(expression: str, excluded: list[str]) -> str:
    if not excluded:
        return expression
    return f"({expression}) NOT ({' OR '.join(excluded)})"


def matches(expression: str) -> RawSQL:
    """The ids of the stories matching an FTS5 query, for ``pk__in``."""
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression])


def for_each_story(sql: str, expression: str, output_field) -> Func:
    """``sql`` (an FTS5 function) on each story's row of the index for ``expression``:
    a subquery joined on the story's id (NULL when the story does not match)."""
    return Func(
        Value(expression),
        F("pk"),
        template=f"(SELECT {sql} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %(expressions)s)",
        arg_joiner=f" AND {FTS_TABLE}.rowid = ",
        output_field=output_field,
    )


def ranks(expression: str, pks: list[int], *, using: str) -> dict[int, float]:
    """Each of these stories' rank for ``expression``, by id: bm25 with the columns'
    weights, negated (higher is better, as with ``ts_rank``). One pass over the matches
    between the lowest and highest id, rather than a query per story, which would walk a
    common word's list of stories each time."""
    if not pks:
        return {}
    weights = ", ".join(str(weight) for weight in COLUMN_WEIGHTS)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, -bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND rowid BETWEEN %s AND %s",
            [expression, min(pks), max(pks)],
        )
        return dict(cursor.fetchall())


def snippet(expression: str, column: int) -> Func:
    marks = f"char({ord(START_SEL)}), char({ord(STOP_SEL)})"
    sql = f"snippet({FTS_TABLE}, {column}, {marks}, '…', {SNIPPET_TOKENS})"
    return for_each_story(sql, expression, TextField())


def trigrams(word: str) -> set[str]:
    """``pg_trgm``'s trigrams of one word: padded with two spaces before, one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(word: str, other: str) -> float:
    """``pg_trgm``'s ``similarity()`` of two words: shared trigrams over all of them."""
    mine, theirs = trigrams(word), trigrams(other)
    return len(mine & theirs) / len(mine | theirs)


def closest_words(vocabulary: str, word: str) -> list[str]:
    """The words of ``vocabulary`` (one a line, a newline before the first and after the
    last) most similar to ``word``, at least ``TYPO_MIN_SIMILARITY``, best first.

    Only some words are compared: for a word of four letters or more, a similarity of 0.3
    needs a trigram of the word's inside, or two of its padded ones (``"  p"``, ``" pa"``,
    ``"an "``), which means the same first two letters or the same last two.
    """
    probes = {gram for gram in trigrams(word) if " " not in gram}
    probes |= {"\n" + word[:2], word[-2:] + "\n"}
    found = set()
    for probe in probes:
        at = vocabulary.find(probe)
        while at != -1:
            start = vocabulary.rfind("\n", 0, at + 1) + 1
            end = vocabulary.find("\n", at + 1)
            found.add(vocabulary[start:end])
            at = vocabulary.find(probe, end)
    scored = sorted((-similarity(word, other), other) for other in found if other)
    return [other for score, other in scored if -score >= TYPO_MIN_SIMILARITY][:TYPO_ALTERNATIVES]


# The vocabulary last read, by database: (its version, its words one a line).
_vocabularies: dict[str, tuple[int, str]] = {}


def read_vocabulary(using: str) -> str:
    """The archive's words, one a line (a newline before the first and after the last).

    Read whole from ``fts5vocab``, which walks every word's list of stories; so the words
    are kept in this process with the version the triggers give them at every change, and
    read again only once that version has changed. Never stale: every call asks the
    database for the version first.
    """
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT vocabulary_version FROM {VOCABULARY_STATE}")
        (version,) = cursor.fetchone()
        kept = _vocabularies.get(using)
        if kept is not None and kept[0] == version:
            return kept[1]
        cursor.execute(f"SELECT term FROM {VOCABULARY}")
        words = "\n" + "\n".join(term for (term,) in cursor.fetchall()) + "\n"
    _vocabularies[using] = (version, words)
    return words


def as_indexed(word: str) -> str:
    """A word as the vocabulary holds it: lower case, without diacritics."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class SQLiteResults(RankedResults):
    """Ranked FTS5 matches first, then typo matches.

    Queries: the exact candidates (the newest ``max_results + 1``) and their ranks; with
    typo terms and room under the cap, the vocabulary's version (and its words, when they
    changed since this process last read them), then the typo candidates and their ranks
    when a word has a close spelling (the newest ``typo_max_results + 1``); the page, with
    its snippets.
    """

    def __init__(self, stories: QuerySet, query: str) -> None:
        super().__init__(stories)
        self.wanted, self.negated = split_websearch(query)
        self.fts = fts_query(query)
        # A quoted phrase is matched word by word: every word, or a spelling close to it.
        self.typo_terms = list(
            dict.fromkeys(
                term for term in self.wanted if len(term.replace(" ", "")) >= TYPO_MIN_WORD_LENGTH
            )
        )
        self.typo_fts: str | None = None
        self._candidates: list[Candidate] | None = None

    def matching(self) -> QuerySet:
        """Every exact match, unranked (the admin's search filters by it)."""
        if self.fts is None:
            return self.stories.none()
        return self.stories.filter(pk__in=matches(self.fts))

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        chosen = self._chosen(index)
        if not chosen:
            return []
        exact_pks = [candidate.pk for candidate in chosen if candidate.exact]
        # Through the public rule again: a story unpublished a moment ago drops out.
        stories = (
            self.stories.filter(pk__in=[candidate.pk for candidate in chosen])
            .for_readers()
            .annotate(
                body_snippet=self._snippet(BODY_COLUMN, exact_pks),
                subheadings_snippet=self._snippet(SUBHEADINGS_COLUMN, exact_pks),
            )
            .order_by()
        )
        by_pk = {story.pk: story for story in stories}
        return self._placed(chosen, by_pk, lambda story: marked_snippet(self._passage(story)))

    def _snippet(self, column: int, exact_pks: list[int]):
        """A column's snippet, marking what each story matched: the query's words in an
        exact match, the close spellings in a typo match."""
        if self.typo_fts is None:
            return snippet(self.fts, column)
        return Case(
            When(pk__in=exact_pks, then=snippet(self.fts, column)),
            default=snippet(self.typo_fts, column),
            output_field=TextField(),
        )

    @staticmethod
    def _passage(story) -> str:
        """The paragraphs' passage with a match, else the subheadings', else the opening of
        the paragraphs (the match is in the headline, or in the tags)."""
        for passage in (story.body_snippet, story.subheadings_snippet):
            if passage and START_SEL in passage:
                return passage
        return story.body_snippet or ""

    def _find(self) -> list[Candidate]:
        if self._candidates is None:
            found = []
            if self.fts is not None:
                found = self._newest(self.matching(), self.fts, self.max_results + 1)
                if len(found) <= self.max_results and self.typo_terms:
                    self.typo_fts = self._typo_query()
            if self.typo_fts is not None:
                room = min(self.max_results - len(found), self.typo_max_results) + 1
                stories = self.stories.filter(pk__in=matches(self.typo_fts)).exclude(
                    pk__in=matches(self.fts)
                )
                found += self._newest(stories, self.typo_fts, room, exact=False)
            self._candidates = found
        return self._candidates

    @staticmethod
    def _newest(stories: QuerySet, expression: str, limit: int, *, exact: bool = True):
        """The newest ``limit`` of these stories, each with its rank for ``expression``."""
        rows = list(
            stories.order_by("-published_at", "-pk").values_list("pk", "published_at")[:limit]
        )
        scores = ranks(expression, [pk for pk, _ in rows], using=stories.db)
        return [
            Candidate(pk, exact, scores.get(pk, 0.0), published.timestamp())
            for pk, published in rows
        ]

    def _typo_query(self) -> str | None:
        """The FTS5 query for typo matches, or None when no word has a close spelling."""
        words = list(
            dict.fromkeys(
                as_indexed(word) for term in self.typo_terms for word in TOKEN.findall(term)
            )
        )
        # A short word of a phrase ("war") must be itself: too many words look like it.
        long_words = [word for word in words if len(word) >= TYPO_MIN_WORD_LENGTH]
        if not long_words:
            return None
        vocabulary = read_vocabulary(self.stories.db)
        groups, any_close = [], False
        for word in words:
            close = closest_words(vocabulary, word) if word in long_words else []
            any_close = any_close or any(other != word for other in close)
            spellings = sorted({word, *close})
            quoted = ('"' + spelling.replace('"', '""') + '"' for spelling in spellings)
            groups.append("(" + " OR ".join(quoted) + ")")
        if not any_close:
            return None
        # "-Putin" excludes typo matches too.
        excluded = [phrase for phrase in map(fts_phrase, self.negated) if phrase]
        return with_exclusions(" AND ".join(groups), excluded)
