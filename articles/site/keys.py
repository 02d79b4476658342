"""Surrogate keys: the names of what a public response shows.

Every cacheable public response carries the keys of what it shows (``caching.shows``), and a
change purges the keys it touches (``articles.services.effects``), so that exactly the
pages showing what changed are made again:

- ``story-<id>``: a story, on its own page and wherever it is listed or linked by headline
  (lists, feeds, search results, related stories, the sidebar, the API);
- ``tag-<id>``: a tag's name and address, wherever they are shown;
- ``tag-<id>-stories``: which stories a tag has (the tag's page and feeds);
- ``place-<slug>``: which stories were filed from a place (the place's page);
- ``latest``: which stories are newest (home, the site's feeds, the API list, the sidebar);
- ``search``: search results (any change to a public story's words may change them);
- ``sitemap``: the sitemaps (every public story's address and time of change);
- ``corrections``: which corrections readers are told of (``/corrections/`` and its feed);
- ``all``: every cached response, for a purge of everything (``manage.py purge_pages``).
"""

from __future__ import annotations

from collections.abc import Iterable

ALL = "all"
LATEST = "latest"
SEARCH = "search"
SITEMAP = "sitemap"
CORRECTIONS = "corrections"


def story(pk: int) -> str:
    return f"story-{pk}"


def tag(pk: int) -> str:
    return f"tag-{pk}"


def tag_stories(pk: int) -> str:
    return f"tag-{pk}-stories"


def place(slug: str) -> str:
    return f"place-{slug}"


def of_stories(stories: Iterable, *, tags: bool = False) -> set[str]:
    """The keys of these stories, and of their tags when the page shows them (``tags``:
    read through ``story.tags.all()``, so prefetch them)."""
    found = set()
    for item in stories:
        found.add(story(item.pk))
        if tags:
            found.update(tag(each.pk) for each in item.tags.all())
    return found
