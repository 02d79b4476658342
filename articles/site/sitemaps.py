"""Sitemaps for search engines: stories, tags and places, and a Google News sitemap."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.contrib.sitemaps.views import x_robots_tag
from django.db.models import Exists, Max, OuterRef
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.models import Story
from articles.site import caching, structured_data
from articles.site import keys as surrogate

NEWS_WINDOW = timedelta(hours=48)


class StorySitemap(Sitemap):
    changefreq = "daily"
    limit = 50_000  # the sitemaps protocol's most per file

    def items(self):
        return (
            Story.objects.published()
            .only("slug", "published_at", "updated_at", "revised_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, story):
        return structured_data.last_changed(story)


class TagSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        # Only tags a reader can open: a tag that drafts alone use is not revealed.
        public = Story.objects.published().filter(tags=OuterRef("pk"))
        return Tag.objects.filter(Exists(public)).order_by("slug")

    def location(self, tag):
        return reverse("articles:tag", args=[tag.slug])


class PlaceSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return list(
            Story.objects.published()
            .exclude(place_slug="")
            .values("place_slug")
            .annotate(lastmod=Max("published_at"))
            .order_by("place_slug")
        )

    def location(self, place):
        return reverse("articles:place", args=[place["place_slug"]])

    def lastmod(self, place):
        return place["lastmod"]


def sitemap(request, **kwargs):
    """Django's sitemap of :data:`SITEMAPS` (purged, like the others, by any change to a
    public story: ``sitemap``)."""
    caching.shows(request, surrogate.SITEMAP)
    return sitemap_views.sitemap(request, sitemaps=SITEMAPS, **kwargs)


@x_robots_tag
def news_sitemap(request):
    """The Google News sitemap: stories published in the last 48 hours (at most 1,000).

    Like the other sitemaps, it is for crawlers, not a page of its own in search results.
    """
    caching.shows(request, surrogate.SITEMAP)
    since = timezone.now() - NEWS_WINDOW
    stories = (
        Story.objects.published()
        .filter(published_at__gte=since)
        .only("headline", "slug", "published_at")
        .order_by("-published_at", "-pk")[:1000]
    )
    return render(
        request,
        "sitemaps/news.xml",
        {"stories": stories, "publication": settings.SITE_NAME},
        content_type="application/xml; charset=utf-8",
    )


SITEMAPS = {"stories": StorySitemap, "tags": TagSitemap, "places": PlaceSitemap}
