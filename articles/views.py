"""Public pages: every story shown here comes through ``Story.objects.published()``."""

from datetime import date

from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from taggit.models import Tag

from articles.models import Story

STORIES_PER_PAGE = 20


def _page(request, stories):
    return Paginator(stories.prefetch_related("tags"), STORIES_PER_PAGE).get_page(
        request.GET.get("page")
    )


def home(request):
    page = _page(request, Story.objects.published())
    return render(request, "articles/home.html", {"page": page})


def story_detail(request, year: int, month: int, day: int, slug: str):
    try:
        day_published = date(year, month, day)
    except ValueError:
        raise Http404("No such date.") from None
    story = get_object_or_404(
        Story.objects.published().prefetch_related("sections", "tags"),
        slug=slug,
        published_at__date=day_published,
    )
    return render(request, "articles/story_detail.html", {"story": story})


def story_preview(request, pk: int):
    """Any story, draft or scheduled, exactly as readers will see it: for staff only.

    Not a public path: everyone else gets a 404, as if the story did not exist, and the
    response is never cached by a shared cache nor indexed.
    """
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm("articles.view_story")):
        raise Http404("No such story.")
    story = get_object_or_404(Story.objects.prefetch_related("sections", "tags"), pk=pk)
    response = render(request, "articles/story_detail.html", {"story": story, "preview": True})
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def tag_detail(request, slug: str):
    tag = get_object_or_404(Tag, slug=slug)
    page = _page(request, Story.objects.published().filter(tags=tag))
    if not page.object_list:
        raise Http404("No published stories with this tag.")
    return render(request, "articles/tag_detail.html", {"tag": tag, "page": page})


def healthz(request):
    """200 when the database answers a query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse(
            "database unavailable\n",
            status=503,
            content_type="text/plain",
            headers={"Retry-After": "30", "Cache-Control": "no-store"},
        )
    return HttpResponse("ok\n", content_type="text/plain", headers={"Cache-Control": "no-store"})
