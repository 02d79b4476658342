"""Public pages: every story shown here comes through ``Story.objects.published()``."""

from datetime import date, timedelta

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import patch_cache_control
from taggit.models import Tag

from articles import story_page
from articles.models import Story
from articles.site import caching, structured_data
from articles.site.pagination import BadCursor, keyset_page

STORIES_PER_PAGE = 20
# Saves within a few minutes of publication are not worth an "Updated" line.
EDIT_GRACE = timedelta(minutes=5)


def _page(request, stories, **options):
    """A page of a story list, from the ``before``/``after`` cursor in the query string.

    A cursor this site did not make (edited by hand, cut short) gives the newest page.
    """
    stories = stories.defer(*story_page.UNSHOWN_FIELDS)
    stories = stories.prefetch_related("tags")
    try:
        return keyset_page(
            stories,
            before=request.GET.get("before"),
            after=request.GET.get("after"),
            size=STORIES_PER_PAGE,
            **options,
        )
    except BadCursor:
        return keyset_page(stories, size=STORIES_PER_PAGE, **options)


def home(request):
    page = _page(request, Story.objects.published())
    return render(request, "articles/home.html", {"page": page})


def story_detail(request, year: int, month: int, day: int, slug: str):
    try:
        day_published = date(year, month, day)
    except ValueError:
        raise Http404("No such date.") from None
    page = story_page.load(slug, day_published)
    if page is None:
        raise Http404("No such story.")
    return _render_story(request, page.story, related=page.related, latest_news=page.latest)


def story_preview(request, pk: int):
    """Any story, draft or scheduled, exactly as readers will see it: for staff only.

    Not a public path: everyone else gets a 404, as if the story did not exist, and the
    response is never cached by a shared cache nor indexed.
    """
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm("articles.view_story")):
        raise Http404("No such story.")
    story = get_object_or_404(Story.objects.prefetch_related("sections", "tags"), pk=pk)
    related = Story.objects.published().related_to(story, limit=story_page.RELATED_STORIES)
    related = related.only("headline", "slug", "published_at")
    response = _render_story(request, story, related=related, preview=True)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _render_story(request, story: Story, *, related, latest_news=None, preview: bool = False):
    """The story page. ``latest_news`` is the sidebar's list when the view has it already;
    otherwise the template reads it."""
    edited = story.published_at and story.updated_at - story.published_at > EDIT_GRACE
    summary = structured_data.description(story)
    canonical = None
    if story.published_at:
        canonical = request.build_absolute_uri(story.get_absolute_url())
    context = {
        "story": story,
        "updated_at": story.updated_at if edited else None,
        "related": related,
        "latest_news": latest_news,
        "preview": preview,
        "description": summary,
        "canonical": canonical,
        "json_ld": None
        if preview
        else structured_data.news_article_json(story, request, url=canonical, summary=summary),
    }
    return render(request, "articles/story_detail.html", context)


def tag_detail(request, slug: str):
    """A tag's published stories, newest first: one range of the tag-row index per page.

    The tag rows carry a copy of their story's publication time (``TaggedStory``), so the
    page walks the index ``(tag, story_published_at, story)`` from the cursor and joins
    just the stories it shows, however large the archive and however rare or old the tag.
    The public rule still applies to the stories themselves, so a copy that ever went stale
    could misplace a story in the list, never let a draft in. (The copy is not also required
    to equal the story's time in the query: that condition made PostgreSQL expect one row,
    read all of the tag's stories and sort them, 6 ms at 100,000 stories instead of 0.3.)
    """
    tag = get_object_or_404(Tag, slug=slug)
    stories = (
        Story.objects.published()
        .filter(taggedstory__tag=tag, taggedstory__story_published_at__lte=timezone.now())
        # The same tag row as the filter (annotations reuse its join).
        .alias(
            tag_time=F("taggedstory__story_published_at"),
            tag_story=F("taggedstory__content_object"),
        )
    )
    page = _page(request, stories, keys=("tag_time", "tag_story"))
    if not page.items and not page.from_cursor:
        raise Http404("No published stories with this tag.")
    return render(request, "articles/tag_detail.html", {"tag": tag, "page": page})


def place_detail(request, slug: str):
    """Every story filed from one dateline place: all of BAKU's."""
    page = _page(request, Story.objects.published().filter(place_slug=slug))
    if not page.items and not page.from_cursor:
        raise Http404("No published stories from this place.")
    place = page.items[0].dateline_place if page.items else slug.upper()
    return render(request, "articles/place_detail.html", {"place": place, "page": page})


def healthz(request):
    """For load balancers and monitoring.

    503 (with Retry-After) when the database does not answer: this server cannot serve.
    200 ``degraded`` when only the cache does not: pages are served uncached, and taking
    every server out of the load balancer for it would turn a slow site into no site.
    """
    headers = {"Cache-Control": "no-store"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        headers["Retry-After"] = "30"
        return HttpResponse(
            "database unavailable\n", status=503, content_type="text/plain", headers=headers
        )
    try:
        cache.set("healthz", "ok", 10)
        cache_ok = cache.get("healthz") == "ok"
    except caching.cache_errors():
        cache_ok = False
    if not cache_ok:
        body = "degraded: cache unavailable, pages served uncached\n"
        return HttpResponse(body, content_type="text/plain", headers=headers)
    return HttpResponse("ok\n", content_type="text/plain", headers=headers)


def favicon(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page says."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
