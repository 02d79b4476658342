"""Reading what a reader typed into the search box.

Readers may write in websearch_to_tsquery's syntax: ``"peace deal" -Putin`` or
``Baku or Yerevan``. Both backends read a query the same way: :func:`split_websearch` tells
the words and phrases wanted from those excluded.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery

from articles.search.indexing import CONFIG

MAX_QUERY_LENGTH = 200
WORD = re.compile(r"\w+")
# websearch_to_tsquery's syntax: "quoted phrases", -negation, or.
WEBSEARCH_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


def clean_query(raw: str | None) -> str:
    """The query as we search for it: no NUL (PostgreSQL refuses it), no unpaired surrogates,
    whitespace collapsed, at most ``MAX_QUERY_LENGTH`` characters."""
    text = (raw or "").replace("\x00", " ")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(text[: MAX_QUERY_LENGTH * 2].split())[:MAX_QUERY_LENGTH].strip()


def split_websearch(query: str) -> tuple[list[str], list[str]]:
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


def websearch(query: str) -> SearchQuery:
    """The query as PostgreSQL reads a search box (quotes, ``-word``, ``or``)."""
    return SearchQuery(query, search_type="websearch", config=CONFIG)
