"""Reader search: a stored, weighted full-text vector on PostgreSQL, a plain fallback on SQLite.

On PostgreSQL each story keeps two derived columns, recomputed by :func:`refresh_stories`
after every change (never per request):

- ``search_vector``: headline (weight A), subheadings (B), standfirst and paragraphs (C),
  tag names and dateline place (D), English configuration, with a GIN index. Queries use
  ``websearch_to_tsquery``, so readers can write ``"peace deal" -Putin`` or ``Baku or Yerevan``.
- ``search_document``: the readable text (headline, standfirst, then each section's
  subheading and paragraphs in order), for the snippets.

and the lexicon of typo tolerance, ``SearchWord``: the distinct words of those vectors, with a
GIN trigram index. A story whose text holds a word close to the query's ("Pashinyan" for
"Pashinian") matches too, ranked after every exact match.

Whatever the size of the archive, a search does bounded work: it counts and ranks at most
``MAX_RESULTS`` matches (the newest ones, when a word is in more stories than that: see
:class:`PostgreSQLResults`), and typo tolerance compares the query's words with the lexicon,
not with every document.

Nothing here is a signal: the workflows in ``articles.services``, the story admin and the
``demo`` command call :func:`refresh_on_commit` or :func:`refresh_all`, and
``manage.py rebuild_search`` recomputes everything (after a restore from a dump, say).

SQLite has no text-search index. There, a story matches when each query word or "quoted
phrase" appears (ignoring ASCII case, as a plain substring: "peace" finds "peacekeepers")
in its headline, standfirst, subheadings or paragraphs and no ``-excluded`` one does,
newest first, with no ranking, stemming or typo tolerance; the derived columns stay empty.

Every result comes from ``Story.objects.published()``, so drafts and scheduled stories
never appear, exact or typo matches alike. Snippets are HTML-escaped here and carry no
markup but ``<mark>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from datetime import UTC
from functools import partial
from typing import NamedTuple

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.core.paginator import Paginator
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    OperationalError,
    connections,
    transaction,
)
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Concat, Extract
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import SearchWord, Section, Story, TaggedStory

logger = logging.getLogger(__name__)

CONFIG = "english"
MAX_QUERY_LENGTH = 200
RESULTS_PER_PAGE = 20
REFRESH_BATCH = 500
# Typo tolerance needs words long enough for their trigrams to mean something: with three
# letters or fewer almost every story has a "similar" word.
TYPO_MIN_WORD_LENGTH = 4
TYPO_MIN_SIMILARITY = 0.3
TYPO_ALTERNATIVES = 5
# A safety net against a bad plan, not a budget: the typo query's work is bounded by its
# LIMIT, and a busy machine must not turn a findable typo into "no results".
TYPO_TIMEOUT_MS = 500
# Typo matches are a fallback: the newest 200 of them are plenty to rank and page.
TYPO_MAX_RESULTS = 200
# The most results a search counts, ranks and pages ("more than 1,000 stories match").
MAX_RESULTS = 1000
SNIPPET_BEFORE = 80
SNIPPET_AFTER = 200
# Characters of a story's text given to ts_headline around the first likely match.
SNIPPET_WINDOW = 800
SIMPLE_WORD = re.compile(r"^\w+$")

# Private-use characters that wire copy does not contain: ts_headline puts them around the
# matches, the text is escaped, then they become <mark> and </mark>.
START_SEL, STOP_SEL = "\ue000", "\ue001"
MARKED = re.compile(f"{START_SEL}(.*?){STOP_SEL}", re.S)
WORD = re.compile(r"\w+")
PARAGRAPH_BREAK = Value("\n\n", output_field=TextField())
# websearch_to_tsquery's syntax: "quoted phrases", -negation, or.
WEBSEARCH_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


def is_postgresql(using: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[using].vendor == "postgresql"


# Keeping the stored fields fresh -------------------------------------------------------------


def stored_field_expressions(*, section_model=Section, tagged_model=TaggedStory) -> dict:
    """SQL for the search fields of each story in an UPDATE of stories, by field name.

    The models can be given so that migration 0005 fills the fields with its own
    historical models.
    """
    sections = section_model.objects.filter(story=OuterRef("pk")).order_by().values("story")

    def aggregated(expression) -> Subquery:
        return Subquery(
            sections.annotate(text=StringAgg(expression, "\n\n", order_by="position")).values(
                "text"
            ),
            output_field=TextField(),
        )

    tag_names = Subquery(
        tagged_model.objects.filter(content_object=OuterRef("pk"))
        .order_by()
        .values("content_object")
        .annotate(text=StringAgg("tag__name", " ", order_by="tag__name"))
        .values("text"),
        output_field=TextField(),
    )
    vector = (
        SearchVector("headline", weight="A", config=CONFIG)
        + SearchVector(aggregated("subheading"), weight="B", config=CONFIG)
        + SearchVector("standfirst", aggregated("body"), weight="C", config=CONFIG)
        + SearchVector(tag_names, "dateline_place", weight="D", config=CONFIG)
    )
    reading_order = aggregated(
        Concat(Cast("subheading", TextField()), PARAGRAPH_BREAK, "body", output_field=TextField())
    )
    document = Concat(
        Cast("headline", TextField()),
        PARAGRAPH_BREAK,
        "standfirst",
        PARAGRAPH_BREAK,
        Coalesce(reading_order, Value("", output_field=TextField())),
        output_field=TextField(),
    )
    return {"search_vector": vector, "search_document": document}


def refresh_stories(pks: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Recompute the stored search fields of these stories from the database.

    One UPDATE per batch of stories, reading headline, sections and tags in SQL, so it sees
    exactly what is committed. Returns how many stories were updated; on SQLite it does
    nothing and returns 0.
    """
    if not is_postgresql(using):
        return 0
    pks = sorted(set(pks))
    updated = 0
    for start in range(0, len(pks), REFRESH_BATCH):
        batch = pks[start : start + REFRESH_BATCH]
        # update() leaves updated_at alone: a refresh is not an edit.
        updated += (
            Story.objects.using(using).filter(pk__in=batch).update(**stored_field_expressions())
        )
        with connections[using].cursor() as cursor:
            cursor.execute(fill_words_sql(), [batch])
    return updated


def fill_words_sql(*, all_stories: bool = False) -> str:
    """SQL adding the words of stories' stored vectors to the lexicon (``SearchWord``).

    With one parameter, the list of story ids; ``all_stories`` for every story (migration
    0007, ``refresh_all``). Only words that typo tolerance could want: three characters or
    more, with a letter (not the numbers in headlines).
    """
    where = "" if all_stories else "s.id = ANY(%s) AND "
    return (
        f"INSERT INTO {SearchWord._meta.db_table} (word) "
        "SELECT DISTINCT w.lexeme FROM articles_story s, unnest(s.search_vector) AS w "
        f"WHERE {where}length(w.lexeme) >= 3 AND w.lexeme ~ '[[:alpha:]]' "
        # In one order, so two refreshes at once cannot lock each other's new words.
        "ORDER BY 1 ON CONFLICT DO NOTHING"
    )


def refresh_all(
    *,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = REFRESH_BATCH,
    failed: list[tuple[int, str]] | None = None,
) -> int:
    """Recompute the search fields of every story (``manage.py rebuild_search``, ``demo``).

    A story that cannot be indexed is added to ``failed`` as (id, reason) and the others
    are refreshed; without a ``failed`` list, the first such story raises at the end.
    """
    collect = failed is not None
    failed = failed if collect else []
    updated = _refresh_all(using=using, batch_size=batch_size, failed=failed)
    if failed and not collect:
        pk, reason = failed[0]
        raise DatabaseError(f"story {pk} could not be indexed: {reason}")
    return updated


def _refresh_all(*, using: str, batch_size: int, failed: list[tuple[int, str]]) -> int:
    if not is_postgresql(using):
        return 0
    # Words no story has any longer go; each batch below puts back those still in use.
    SearchWord.objects.using(using).all().delete()
    updated, last_pk = 0, 0
    while True:
        batch = list(
            Story.objects.using(using)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return updated
        batch_failed = refresh(batch, using=using)
        failed += batch_failed
        updated += len(batch) - len(batch_failed)
        last_pk = batch[-1]


def refresh(pks: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> list[tuple[int, str]]:
    """Refresh the search fields of these stories: all at once, and if that fails, one by
    one, so that one story the database cannot index (a text-search vector past
    PostgreSQL's 1 MB, say) does not leave the others unsearchable. Each failure is logged
    on one line; returns ``(story id, reason)`` for each story not refreshed."""
    pks = sorted(set(pks))
    try:
        with transaction.atomic(using=using):
            refresh_stories(pks, using=using)
        return []
    except DatabaseError as exc:
        if len(pks) == 1:
            failures = [(pks[0], first_line(exc))]
        else:
            failures = []
            for pk in pks:
                try:
                    with transaction.atomic(using=using):
                        refresh_stories([pk], using=using)
                except DatabaseError as error:
                    failures.append((pk, first_line(error)))
    for pk, reason in failures:
        logger.error("The search fields of story %s could not be refreshed: %s", pk, reason)
    return failures


def first_line(exc: BaseException) -> str:
    """An error's first line, for a log line or a command's report."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def refresh_on_commit(pks: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Refresh these stories once the current transaction commits (now, outside one).

    After commit, because sections and tags are often saved after the story itself (the
    admin saves its inlines after the story), and a rolled-back change needs no refresh. A
    failing refresh is logged rather than turning a saved edit into an error page; run
    ``manage.py rebuild_search`` to catch up.
    """
    pks = [pk for pk in pks if pk is not None]
    if pks and is_postgresql(using):

        def refresh_search_fields():  # a named function: robust on_commit logs its name
            refresh_stories(pks, using=using)

        transaction.on_commit(refresh_search_fields, using=using, robust=True)


@receiver(post_save, sender=Story)
def index_loaded_story(sender, instance: Story, raw: bool, using: str, **kwargs) -> None:
    """A story loaded from a fixture (``loaddata``) is searchable once the load commits.

    Fixtures are saved raw, around every workflow; the refresh runs after the load's
    transaction, when the story's sections and tags (later in the fixture) are in too.
    """
    if raw:
        refresh_on_commit([instance.pk], using=using)


# Reading the query --------------------------------------------------------------------------


def clean_query(raw: str | None) -> str:
    """The query as we search for it: no NUL (PostgreSQL refuses it), no unpaired surrogates,
    whitespace collapsed, at most ``MAX_QUERY_LENGTH`` characters."""
    text = (raw or "").replace("\x00", " ")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(text[: MAX_QUERY_LENGTH * 2].split())[:MAX_QUERY_LENGTH].strip()


def _split_websearch(query: str) -> tuple[list[str], list[str]]:
    """What a reader wants (words, and "quoted phrases" as one), and the words or phrases
    they exclude (``-Putin``), in websearch_to_tsquery's syntax; ``or`` is left out."""
    wanted, negated = [], []
    for token in WEBSEARCH_TOKEN.findall(query):
        if token.lower() == "or":
            continue
        if token.startswith("-") and len(token) > 1:
            negated.append(" ".join(WORD.findall(token)))
        elif token.lstrip("-").startswith('"'):
            wanted.append(" ".join(WORD.findall(token)))
        else:
            wanted += WORD.findall(token)
    return [term for term in wanted if term], [term for term in negated if term]


# Searching ----------------------------------------------------------------------------------


class SearchResults:
    """Published stories matching a query, best first, for a ``Paginator``.

    At most ``MAX_RESULTS`` of them: ``count()`` stops counting there (``more`` tells that
    there were more), so no request counts or ranks every match of a common word. Slicing
    runs one query for the slice and gives each story a ``snippet`` (escaped HTML with
    ``<mark>``) and a ``rank``.
    """

    def __init__(self, stories: QuerySet) -> None:
        self.stories = stories
        self._count: int | None = None
        self.more = False

    def count(self) -> int:
        if self._count is None:
            found = self.matching()[: MAX_RESULTS + 1].count()
            self.more = found > MAX_RESULTS
            self._count = min(found, MAX_RESULTS)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if not self.count():
            return []
        start, stop, _ = index.indices(self.count())
        return self._add_snippets(list(self._ordered()[start:stop]))

    def __iter__(self) -> Iterator[Story]:
        return iter(self[:])

    def matching(self) -> QuerySet:
        """Every matching story, unordered and unranked (the admin's search filters by it)."""
        return self.stories

    def _ordered(self) -> QuerySet:
        return self.matching()

    def _add_snippets(self, stories: list[Story]) -> list[Story]:
        return stories


class LexemeQuery(SearchQuery):
    """A tsquery written in PostgreSQL's own syntax and cast as it is: no parsing, no
    stemming, for lexemes taken from the stored vectors (``'pashinyan' | 'pashinian'``)."""

    template = "(%(expressions)s)::tsquery"

    def __init__(self, text: str) -> None:
        super().__init__(text, search_type="raw")


def _lexeme(word: str) -> str:
    """One lexeme quoted for tsquery input."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


class Candidate(NamedTuple):
    """A matching story as the candidates query gives it: plain values, no model, since
    a common word brings a thousand of them on every request."""

    pk: int
    exact: bool
    rank: float
    published: float  # seconds since the epoch

    def key(self):
        # Exact matches first, each kind by rank, then newest first.
        return (not self.exact, -self.rank, -self.published, -self.pk)


class PostgreSQLResults(SearchResults):
    """Ranked full-text matches first, then typo matches, through the GIN indexes only.

    Bounded work, whatever the size of the archive (issue 5):

    - **Exact matches**: the newest ``MAX_RESULTS + 1`` matches (by publication time: the
      planner walks the ``published_at`` index back for a common word, or reads a rare
      word's few rows from the GIN index), each with its ``ts_rank``, in one query. That
      is the count (capped: "more than 1,000") and the set that is ranked and paged. A word
      with fewer matches has them all ranked, however old; a word in more than
      ``MAX_RESULTS`` stories has the best of its newest ``MAX_RESULTS`` shown, since a
      reader of news wants recent stories and can add a word to narrow the search.
    - **Typo matches**, only while there is room under the cap: each query word of four
      letters or more is looked up in the lexicon (``SearchWord``, a GIN trigram index on a
      few thousand words, not on whole documents); its own stem and its closest words
      (``TYPO_ALTERNATIVES``, trigram similarity at least ``TYPO_MIN_SIMILARITY``) make a
      text-search query (``'pashinian' | 'pashinyan'``) run like the exact one, against
      stories that are not exact matches, newest first (at most ``TYPO_MAX_RESULTS``), under
      a ``TYPO_TIMEOUT_MS`` limit. ``ts_headline`` marks the word the story really has.

    Queries: the exact candidates; with typo terms and room, the lexicon, and the typo
    candidates when a word has a close spelling (inside a transaction or savepoint that
    scopes their time limit); the page, with ``ts_headline`` for its rows only.
    """

    def __init__(self, stories: QuerySet, query: str) -> None:
        super().__init__(stories)
        self.wanted, self.negated = _split_websearch(query)
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

    def count(self) -> int:
        if self._count is None:
            found = self._find()
            exact = sum(candidate.exact for candidate in found)
            # Typo matches past TYPO_MAX_RESULTS count as "more" as well.
            cap = min(MAX_RESULTS, exact + TYPO_MAX_RESULTS)
            self.more = len(found) > cap
            self._count = min(len(found), cap)
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        # The newest MAX_RESULTS (exact matches before typo ones), best first.
        ordered = sorted(self._find()[: self.count()], key=Candidate.key)
        chosen = ordered[index]
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
        page = []
        for candidate in chosen:
            story = by_pk.get(candidate.pk)
            if story is not None:
                story.rank = candidate.rank
                story.exact_match = candidate.exact
                story.snippet = marked_snippet(story.headline_text or "")
                page.append(story)
        return page

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
            .defer("search_vector", "search_document", "source_text")
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
            found = self._newest(self.stories.filter(self.exact), self.fts, MAX_RESULTS + 1)
            if len(found) <= MAX_RESULTS and self.typo_terms:
                self.typo_query = self._typo_query()
                if self.typo_query is not None:
                    room = min(MAX_RESULTS - len(found), TYPO_MAX_RESULTS) + 1
                    found += self._typo_candidates(room)
            self._candidates = found
        return self._candidates

    @staticmethod
    def _newest(stories: QuerySet, query, limit: int, *, exact: bool = True) -> list[Candidate]:
        rows = (
            stories.annotate(
                rank=SearchRank(F("search_vector"), query),
                published=Cast(Extract("published_at", "epoch", tzinfo=UTC), FloatField()),
            )
            .order_by("-published_at", "-pk")
            .values_list("pk", "rank", "published")[:limit]
        )
        # Read with the cursor: the ORM's row conversions cost more than the query here.
        sql, params = rows.query.sql_with_params()
        with connections[stories.db].cursor() as cursor:
            cursor.execute(sql, params)
            return [Candidate(pk, exact, rank, when) for pk, rank, when in cursor.fetchall()]

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
            query &= SearchQuery(excluded, search_type="websearch", config=CONFIG)
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


class SQLiteResults(SearchResults):
    """Every wanted word or phrase somewhere in the story's text, and no excluded one
    (``-Putin``), newest first. Queries: the count, the page, the page's sections."""

    def __init__(self, stories: QuerySet, query: str) -> None:
        super().__init__(stories)
        wanted, negated = _split_websearch(query)
        self.terms = list(dict.fromkeys(term.lower() for term in wanted))
        self.excluded = list(dict.fromkeys(term.lower() for term in negated))

    def matching(self) -> QuerySet:
        stories = self.stories
        for term in self.terms:
            stories = stories.filter(self._contains(term))
        for phrase in self.excluded:
            stories = stories.exclude(self._contains(phrase))
        return stories

    @staticmethod
    def _contains(text: str) -> Q:
        in_sections = Section.objects.filter(
            Q(subheading__icontains=text) | Q(body__icontains=text), story=OuterRef("pk")
        )
        return Q(headline__icontains=text) | Q(standfirst__icontains=text) | Exists(in_sections)

    def _ordered(self) -> QuerySet:
        return (
            self.matching()
            .annotate(rank=Value(0.0))
            .defer("source_text")
            .prefetch_related("sections")
            .order_by("-published_at", "-pk")
        )

    def _add_snippets(self, stories: list[Story]) -> list[Story]:
        for story in stories:
            parts = [story.headline, story.standfirst]
            for section in story.sections.all():
                parts += [section.subheading, section.body]
            story.snippet = plain_snippet("\n\n".join(parts), self.terms, whole_words=False)
        return stories


def search_stories(query: str, *, using: str = DEFAULT_DB_ALIAS) -> SearchResults:
    """Published stories matching ``query``, best first, each with a ``snippet``.

    A query with nothing to look for ("", "&&&", only "-word") matches nothing, without
    asking the database.
    """
    query = clean_query(query)
    stories = Story.objects.using(using).published()
    wanted, _ = _split_websearch(query)
    if not wanted:
        return SearchResults(stories.none())
    if is_postgresql(using):
        return PostgreSQLResults(stories, query)
    return SQLiteResults(stories, query)


def websearch(query: str) -> SearchQuery:
    """The query as PostgreSQL reads a search box (quotes, ``-word``, ``or``)."""
    return SearchQuery(query, search_type="websearch", config=CONFIG)


def matching(query: str, *, using: str = DEFAULT_DB_ALIAS) -> Q:
    """A filter for any stories, drafts too, matching ``query`` as the site search matches
    it: the stored index on PostgreSQL, the plain-text fallback on SQLite (the admin's
    search box). Unranked; a query with nothing to look for matches nothing."""
    if not _split_websearch(query)[0]:
        return Q(pk__in=[])
    if is_postgresql(using):
        return Q(search_vector=websearch(query))
    fallback = SQLiteResults(Story.objects.using(using).all(), query)
    return Q(pk__in=fallback.matching().values("pk"))


# Snippets -----------------------------------------------------------------------------------


def marked_snippet(text: str) -> SafeString:
    """ts_headline's output as HTML: all of it escaped, its selections as ``<mark>``."""
    parts = []
    position = 0
    for match in MARKED.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<mark>{escape(match[1])}</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    html = "".join(parts).replace(START_SEL, "").replace(STOP_SEL, "")
    # Safe: every piece of text was escaped above.
    return mark_safe(" ".join(html.split()))


def plain_snippet(text: str, terms: Iterable[str], *, whole_words: bool) -> SafeString:
    """An escaped passage of ``text`` around the first of ``terms``, each of them marked.

    ``whole_words`` marks only whole words; otherwise any occurrence, ignoring case (what
    the SQLite fallback matches). Without a match, the opening of the text.
    """
    text = " ".join(text.split())
    terms = sorted({term for term in terms if term}, key=len, reverse=True)
    if not terms:
        return _passage(text, None, 0, SNIPPET_AFTER)
    pattern = "|".join(re.escape(term) for term in terms)
    if whole_words:
        pattern = rf"\b(?:{pattern})\b"
    found = re.compile(pattern, re.I)
    first = found.search(text)
    if first is None:
        return _passage(text, None, 0, SNIPPET_AFTER)
    start = _word_start(text, max(first.start() - SNIPPET_BEFORE, 0))
    end = _word_end(text, min(first.end() + SNIPPET_AFTER, len(text)))
    return _passage(text, found, start, end)


def _word_start(text: str, index: int) -> int:
    if index == 0:
        return 0
    space = text.find(" ", index)
    return space + 1 if space != -1 else index


def _word_end(text: str, index: int) -> int:
    if index >= len(text):
        return len(text)
    space = text.rfind(" ", 0, index)
    return space if space > 0 else index


def _passage(text: str, found: re.Pattern | None, start: int, end: int) -> SafeString:
    end = _word_end(text, min(end, len(text)))
    passage = text[start:end]
    parts = ["…" if start > 0 else ""]
    position = 0
    for match in found.finditer(passage) if found else ():
        parts.append(escape(passage[position : match.start()]))
        parts.append(f"<mark>{escape(match[0])}</mark>")
        position = match.end()
    parts.append(escape(passage[position:]))
    parts.append("…" if end < len(text) else "")
    # Safe: every piece of text was escaped above.
    return mark_safe("".join(parts))


# The page -----------------------------------------------------------------------------------


def search_view(request):
    """``/search/?q=``: published stories matching the query, 20 a page.

    Any query gets a calm answer: an empty one asks for a word, odd characters find
    nothing, a very long one is cut to its first ``MAX_QUERY_LENGTH`` characters. A page
    number past the end shows the last page.
    """
    query = clean_query(request.GET.get("q"))
    page = None
    if query:
        paginator = Paginator(search_stories(query), RESULTS_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
    response = render(request, "articles/search.html", {"query": query, "page": page})
    response["X-Robots-Tag"] = "noindex, follow"
    return response
