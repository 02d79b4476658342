"""``/corrections/``: every correction and clarification readers have been told of, newest
first, each linked to its story (its feed is ``feeds.CorrectionsFeed``)."""

from django.shortcuts import render

from articles.models import Correction
from articles.site import caching
from articles.site import keys as surrogate
from articles.site.pagination import BadCursor, keyset_page

CORRECTIONS_PER_PAGE = 50


def public_corrections():
    """Published corrections of public stories (``Correction.objects.public()``: the one
    rule for stories), with what a list shows of their stories."""
    return (
        Correction.objects.public()
        .select_related("story")
        .only(
            "kind",
            "text",
            "published_at",
            "story_id",
            "story__headline",
            "story__slug",
            "story__published_at",
        )
    )


def corrections_page(request):
    """One page of corrections, from the ``before``/``after`` cursor (by publication time,
    like the story lists): a cursor this site did not make gives the newest page. It is
    cached under ``corrections``, which a correction's publication purges, and its stories'
    keys, so a story that changes its headline or leaves readers purges it too."""
    corrections = public_corrections()
    cursors = {"before": request.GET.get("before"), "after": request.GET.get("after")}
    try:
        page = keyset_page(corrections, size=CORRECTIONS_PER_PAGE, **cursors)
    except BadCursor:
        page = keyset_page(corrections, size=CORRECTIONS_PER_PAGE)
    caching.shows(
        request,
        surrogate.CORRECTIONS,
        *surrogate.of_stories(correction.story for correction in page),
    )
    return render(request, "articles/corrections.html", {"page": page})
