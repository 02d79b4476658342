"""Public pages: every story shown here comes through ``Story.objects.published()``."""

from datetime import date

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import F, Prefetch
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import patch_cache_control
from markupsafe import Markup
from taggit.models import Tag

from articles.models import Correction, Section, Story, Take
from articles.site import addresses, caching, structured_data
from articles.site import keys as surrogate
from articles.site.pagination import BadCursor, keyset_page
from articles.takes import supersedes

STORIES_PER_PAGE = 20
RELATED_STORIES = 4
LATEST_NEWS = 5
# The takes whose editors' note tells readers what an update changed.
NOTED_TAKES = (Take.Kind.UPDATE, Take.Kind.REFILE, Take.Kind.CORRECTION)


def _page(request, stories, **options):
    """A page of a story list, from the ``before``/``after`` cursor in the query string.

    A cursor this site did not make (edited by hand, cut short) gives the newest page.
    """
    stories = stories.for_readers().prefetch_related("tags")
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
    caching.shows(request, surrogate.LATEST, *surrogate.of_stories(page.items, tags=True))
    return render(request, "articles/home.html", {"page": page})


def latest_news(request):
    """The sidebar's latest news, an include of every page (``caching``'s docstring)."""
    stories = fetch_latest_news()
    caching.shows(request, surrogate.LATEST, *surrogate.of_stories(stories))
    html = render_to_string("includes/latest_news.html", {"stories": stories}, request)
    return HttpResponse(html)


def fetch_latest_news(count: int = LATEST_NEWS) -> list[Story]:
    """The newest published stories, for the sidebar."""
    return list(Story.objects.published().only("headline", "slug", "published_at")[:count])


def with_body(stories):
    """Stories with what a story page shows of them: sections in order, tags, and the
    corrections readers are told of.

    Four queries however many sections, tags and corrections: the stories, then one each
    for all their sections (the stored HTML and the text the description and word count
    read), tags and published corrections.
    """
    # In order of position alone: the model's ordering, by story first, would join the
    # stories again to order by theirs.
    sections = Section.objects.order_by("position")
    corrections = Correction.objects.filter(published_at__isnull=False).order_by(
        "published_at", "pk"
    )
    return stories.for_readers().prefetch_related(
        Prefetch("sections", sections), "tags", Prefetch("corrections", corrections)
    )


def story_detail(request, year: int, month: int, day: int, slug: str):
    try:
        day_published = date(year, month, day)
    except ValueError:
        raise Http404("No such date.") from None
    story = (
        with_body(Story.objects.published())
        .filter(slug=slug, published_at__date=day_published)
        # One story per slug and day (the desk sees to it); should two ever share them,
        # the first one made is the one readers get.
        .order_by("pk")
        .first()
    )
    if story is None:
        return addresses.missing_story(request, day_published, slug)
    caching.shows(request, *surrogate.of_stories([story], tags=True))
    return _render_story(request, story)


def story_preview(request, pk: int):
    """Any story, draft or scheduled, exactly as readers will see it: for staff only.

    Not a public path: everyone else gets a 404, as if the story did not exist, and the
    response is never cached by a shared cache nor indexed.
    """
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm("articles.view_story")):
        raise Http404("No such story.")
    story = get_object_or_404(with_body(Story.objects.all()), pk=pk)
    response = _render_story(request, story, preview=True)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _render_story(request, story: Story, *, preview: bool = False):
    """The story page (the sidebar is a cached fragment of the layout's own).

    "Updated" says when readers were last told the story changed (``revised_at``: an
    agency update or a published correction), with the agency's note of what changed; a
    save on the desk (a typo, a tag) is not news to readers and says nothing, where a
    save a few minutes after publication used to count as an update.
    """
    summary = structured_data.description(story)
    canonical = None
    updated_at = update_note = None
    if story.published_at:
        canonical = request.build_absolute_uri(story.get_absolute_url())
        if story.revised_at and story.revised_at > story.published_at:
            updated_at = story.revised_at
            update_note = latest_note(story)
    context = {
        "story": story,
        "body": story_body(story),
        "updated_at": updated_at,
        "update_note": update_note,
        "modified_at": structured_data.date_modified(story) if story.published_at else None,
        "corrections": structured_data.published_corrections(story),
        "related_stories": related_stories(request, story),
        "preview": preview,
        "description": summary,
        "canonical": canonical,
        "json_ld": None
        if preview
        else structured_data.news_article_json(story, request, url=canonical, summary=summary),
    }
    return render(request, "articles/story_detail.html", context)


def latest_note(story: Story) -> str:
    """The agency's note on the take that made the story's last update (an update, refile
    or correction filed at its ``revised_at`` that no other take of that minute supersedes:
    ``articles.takes.supersedes``): what changed, in its words ("Adds death toll in
    paragraph 2"). "" when that take has none, or when the desk made the update (a
    correction published by hand): an earlier take's note would tell of another change."""
    takes = list(
        Take.objects.filter(story=story, kind__in=NOTED_TAKES, received_at=story.revised_at).only(
            "note", "revision", "received_at"
        )
    )
    applied = [
        take
        for take in takes
        if not any(
            supersedes(other, revision=take.revision, at=take.received_at) for other in takes
        )
    ]
    take = max(applied, key=lambda take: take.pk, default=None)
    return take.note if take else ""


def related_stories(request, story: Story) -> Markup:
    """The public stories sharing most tags with this one, as HTML kept in the cache until
    one of them (or this story) changes: working them out is much of what a story page
    costs. A story published since with the same tags joins the list when the page is made
    again (within ``PAGE_CACHE_SECONDS``): purging every page of a tag at each publication
    would empty the cache of a busy desk."""

    def render_list(shown: set[str]) -> str:
        related = list(
            Story.objects.published()
            .related_to(story, limit=RELATED_STORIES)
            .only("headline", "slug", "published_at")
        )
        shown.update(surrogate.of_stories([story, *related]))
        return render_to_string("includes/related_stories.html", {"related": related})

    return Markup(caching.cached_fragment(request, f"related-{story.pk}", render_list))


def story_body(story: Story) -> list[tuple[Section, str, Markup]]:
    """Each section with its anchor and its HTML as stored when it was saved; the dateline
    opens the first paragraph of the lead."""
    body = []
    for section, anchor in story.sections_with_anchors:
        html = Markup(section.body_html)
        if not body and html and story.dateline:
            html = section.html_after(str(story.dateline))
        body.append((section, anchor, html))
    return body


def tag_detail(request, slug: str):
    """A tag's published stories, newest first: one range of the tag-row index per page.

    The tag rows carry a copy of their story's publication time (``TaggedStory``), so the
    page walks the index ``(tag, story_published_at, story)`` from the cursor and joins
    just the stories it shows, however large the archive and however rare or old the tag.
    The public rule still applies to the stories themselves, so a copy that ever went stale
    could misplace a story in the list, never let a draft in. (The copy is not also required
    to equal the story's time in the query: that condition made PostgreSQL expect one row,
    then read all of the tag's stories and sort them, many times slower on a large archive.)
    """
    tag = get_object_or_404(Tag, slug=slug)
    now = timezone.now()
    stories = (
        Story.objects.published(at=now)
        .filter(taggedstory__tag=tag, taggedstory__story_published_at__lte=now)
        # The same tag row as the filter (annotations reuse its join).
        .alias(
            tag_time=F("taggedstory__story_published_at"),
            tag_story=F("taggedstory__content_object"),
        )
    )
    page = _page(request, stories, keys=("tag_time", "tag_story"))
    if not page.items and not page.from_cursor:
        raise Http404("No published stories with this tag.")
    shown = surrogate.of_stories(page.items, tags=True)
    caching.shows(request, surrogate.tag(tag.pk), surrogate.tag_stories(tag.pk), *shown)
    return render(request, "articles/tag_detail.html", {"tag": tag, "page": page})


def place_detail(request, slug: str):
    """Every story filed from one dateline place: all of BAKU's."""
    page = _page(request, Story.objects.published().filter(place_slug=slug))
    if not page.items and not page.from_cursor:
        raise Http404("No published stories from this place.")
    caching.shows(request, surrogate.place(slug), *surrogate.of_stories(page.items, tags=True))
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
