"""Keeping the stored search fields fresh, on PostgreSQL (on SQLite all of this does nothing).

Each story keeps two derived columns, recomputed by :func:`refresh_stories` after every
change, never per request:

- ``search_vector``: headline (weight A), subheadings (B), standfirst and paragraphs (C),
  tag names and dateline place (D), in the ``CONFIG`` text-search configuration, with a GIN
  index;
- ``search_document``: the readable text (headline, standfirst, then each section's
  subheading and paragraphs in order), for the snippets;

and the lexicon of typo tolerance, ``SearchWord``: the distinct words of those vectors.

The workflows in ``articles.services`` call :func:`refresh_on_commit` or :func:`refresh`;
``manage.py rebuild_search`` calls :func:`refresh_all` (after a restore from a dump, say);
a story loaded by ``loaddata`` is refreshed by :func:`index_loaded_story`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import OuterRef, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce, Concat

import articles.search
from articles.models import SearchWord, Section, Story, TaggedStory

logger = logging.getLogger(__name__)

# The stored vectors' text-search configuration; every query must use the same one.
CONFIG = "english"
REFRESH_BATCH = 500
PARAGRAPH_BREAK = Value("\n\n", output_field=TextField())


def is_postgresql(using: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[using].vendor == "postgresql"


def stored_field_expressions() -> dict:
    """SQL for the search fields of each story in an UPDATE of stories, by field name."""
    sections = Section.objects.filter(story=OuterRef("pk")).order_by().values("story")

    def aggregated(expression) -> Subquery:
        return Subquery(
            sections.annotate(text=StringAgg(expression, "\n\n", order_by="position")).values(
                "text"
            ),
            output_field=TextField(),
        )

    tag_names = Subquery(
        TaggedStory.objects.filter(content_object=OuterRef("pk"))
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


def fill_words_sql() -> str:
    """SQL adding the words of stories' stored vectors to the lexicon (``SearchWord``), with
    one parameter, the list of story ids. Only words that typo tolerance could want: three
    characters or more, with a letter (not the numbers in headlines).
    """
    where = "s.id = ANY(%s) AND "
    return (
        f"INSERT INTO {SearchWord._meta.db_table} (word) "
        "SELECT DISTINCT w.lexeme FROM articles_story s, unnest(s.search_vector) AS w "
        f"WHERE {where}length(w.lexeme) >= 3 AND w.lexeme ~ '[[:alpha:]]' "
        # In one order, so two refreshes at once cannot lock each other's new words.
        "ORDER BY 1 ON CONFLICT DO NOTHING"
    )


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


def refresh(pks: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> list[tuple[int, str]]:
    """Refresh the search fields of these stories: all at once, and if that fails, one by
    one, so that one story the database cannot index (a text-search vector past
    PostgreSQL's 1 MB, say) does not leave the others unsearchable. Each failure is logged
    on one line; returns ``(story id, reason)`` for each story not refreshed."""
    # Through the package's name, the one every caller uses (the import's worker threads
    # too), so that whatever stands behind ``articles.search.refresh_stories`` does it all.
    refresh_batch = articles.search.refresh_stories
    pks = sorted(set(pks))
    try:
        with transaction.atomic(using=using):
            refresh_batch(pks, using=using)
        return []
    except DatabaseError as exc:
        if len(pks) == 1:
            failures = [(pks[0], first_line(exc))]
        else:
            failures = []
            for pk in pks:
                try:
                    with transaction.atomic(using=using):
                        refresh_batch([pk], using=using)
                except DatabaseError as error:
                    failures.append((pk, first_line(error)))
    for pk, reason in failures:
        logger.error("The search fields of story %s could not be refreshed: %s", pk, reason)
    return failures


def refresh_all(
    *,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = REFRESH_BATCH,
    failed: list[tuple[int, str]] | None = None,
) -> int:
    """Recompute the search fields of every story, and the lexicon: words no story has any
    longer go (``manage.py rebuild_search``).

    A story that cannot be indexed is added to ``failed`` as (id, reason) and the others
    are refreshed; without a ``failed`` list, the first such story raises at the end.
    """
    if not is_postgresql(using):
        return 0
    failures: list[tuple[int, str]] = []
    SearchWord.objects.using(using).all().delete()  # each batch puts back the words in use
    updated, last_pk = 0, 0
    while batch := list(
        Story.objects.using(using)
        .filter(pk__gt=last_pk)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    ):
        batch_failed = refresh(batch, using=using)
        failures += batch_failed
        updated += len(batch) - len(batch_failed)
        last_pk = batch[-1]
    if failed is not None:
        failed += failures
    elif failures:
        pk, reason = failures[0]
        raise DatabaseError(f"story {pk} could not be indexed: {reason}")
    return updated


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
