"""Slugs: the words of an address, always ASCII, never empty, so every address reverses.

Headlines, dateline places and tag names come from all of Unicode ("Côte d'Ivoire", "日本",
"!!!"), but the ``<slug:…>`` URL patterns match ASCII letters, digits, hyphens and
underscores only. Every slug is made here: transliterated to ASCII by anyascii ("cote-
divoire", "ri-ben"), then Django's ``slugify``, with a fallback for words that leave nothing.

Tags are made by taggit, which keeps Unicode in its slugs; a ``pre_save`` receiver gives
every tag an ASCII slug however it was saved (the desk, an import, ``loaddata``). Bulk
inserts send no signals: they use :func:`tag_slug` themselves. The anchors of a story's
subheadings (the part after ``#``) are made here too: :func:`heading_anchors`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from anyascii import anyascii
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.text import slugify
from taggit.models import Tag

SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
"""What Django's ``slug`` path converter matches."""

TAG_SLUG_FALLBACK = "tag"
TAG_SLUG_MAX_LENGTH = Tag._meta.get_field("slug").max_length - 8  # room for "-2", "-123"


def place_slug(place: str) -> str:
    """A dateline place in an address: "BAKU" is ``baku``; no place, no slug."""
    return ascii_slug(place, fallback="", max_length=80)


def ascii_slug(text: str, *, fallback: str, max_length: int | None = None) -> str:
    """``text`` as an ASCII slug, cut to ``max_length``; ``fallback`` when nothing is left."""
    slug = slugify(anyascii(text))
    if max_length is not None:
        slug = slug[:max_length].rstrip("-_")
    return slug or fallback


def first_free(slug: str, taken: Iterable[str]) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… whichever ``taken`` does not hold."""
    taken = set(taken)
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def heading_anchors(headings: Iterable[tuple[str, int]]) -> list[str]:
    """An ``id`` for each of a page's subheadings, given with their positions, unique among
    them: ``truce-deal``, ``truce-deal-2``, ``section-3`` when the words leave nothing; ""
    for a section without one (the lead). Django's ``slugify``, as anchors always were."""
    seen: set[str] = set()
    anchors = []
    for heading, position in headings:
        anchor = ""
        if heading:
            anchor = first_free(slugify(heading) or f"section-{position}", seen)
            seen.add(anchor)
        anchors.append(anchor)
    return anchors


def tag_slug(name: str) -> str:
    """A tag's slug before uniqueness: ``Côte d'Ivoire`` is ``cote-divoire``."""
    return ascii_slug(name, fallback=TAG_SLUG_FALLBACK, max_length=TAG_SLUG_MAX_LENGTH)


def unique_tag_slug(name: str, *, exclude_pk=None) -> str:
    slug = tag_slug(name)
    taken = Tag.objects.filter(slug__startswith=slug).exclude(pk=exclude_pk)
    return first_free(slug, taken.values_list("slug", flat=True))


@receiver(pre_save, sender=Tag)
def keep_tag_slugs_ascii(sender, instance: Tag, **kwargs) -> None:
    """A tag whose slug would not reverse (Unicode, empty) gets a free ASCII one instead."""
    if not SLUG.match(instance.slug or ""):
        instance.slug = unique_tag_slug(instance.name, exclude_pk=instance.pk)
