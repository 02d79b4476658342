"""What a story's address answers when no public story is there: 410 Gone where a story
was withdrawn (killed), a 301 to where a moved story is now, else 404.

Both answers are cached like the story's page, under its key: a reinstatement, or another
move, purges them. They also carry ``latest``, which every publication purges, so that a new
story published at the same address is never hidden behind them: such answers are few and
cheap to make again.
"""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.utils import timezone

from articles.models import Publication, Story, StoryAddress
from articles.site import caching
from articles.site import keys as surrogate

# What deciding the answer reads of a story: its address and where it stands for readers.
ADDRESS_FIELDS = ("slug", "status", "published_at", "embargo")


def missing_story(request, day: date, slug: str):
    """The answer at ``/<day>/<slug>/`` when no public story has that address (two
    queries at most): a killed story's own address is 410; an address a story had before
    its slug or date changed is a 301 straight to its address now, whatever the moves in
    between (or 410 if that story is killed); anything else is 404."""
    killed = (
        Story.objects.killed()
        .filter(slug=slug, published_at__date=day)
        .only(*ADDRESS_FIELDS)
        .order_by("pk")
        .first()
    )
    if killed is not None and was_out(killed):
        return withdrawn(request, killed)
    old = (
        StoryAddress.objects.filter(day=day, slug=slug)
        .select_related("story")
        .only("story_id", *(f"story__{name}" for name in ADDRESS_FIELDS))
        .first()
    )
    if old is not None:
        story = old.story
        if story.publication == Publication.LIVE:
            caching.shows(request, surrogate.story(story.pk), surrogate.LATEST)
            return HttpResponsePermanentRedirect(story.get_absolute_url())
        if story.publication == Publication.KILLED and was_out(story):
            return withdrawn(request, story)
    raise Http404("No such story.")


def was_out(story: Story) -> bool:
    """Whether readers could have seen the story before its kill: its time had come, and
    any embargo. A story killed before it ever came out answers 404 like a draft, so that
    its address does not tell that it existed."""
    return (
        story.published_at is not None
        and story.published_at <= timezone.now()
        and not story.is_embargoed
    )


def withdrawn(request, story: Story):
    """410 Gone, with a short notice in the site's layout: no headline, no text (a kill
    is often for what they say), and not for search engines' indexes."""
    caching.shows(request, surrogate.story(story.pk), surrogate.LATEST)
    response = render(request, "articles/withdrawn.html", status=410)
    response["X-Robots-Tag"] = "noindex"
    return response
