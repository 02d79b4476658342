from django.urls import path, register_converter
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from articles import api, search
from articles.search.views import PAGE_QUERY
from articles.site import corrections, feeds, views
from articles.site.caching import cached_page, whole_number
from articles.site.pagination import canonical_cursor


def public(view):
    """A public page: GET and HEAD only; any other method is a 405 with ``Allow: GET, HEAD``."""
    # csrf_exempt: these views never accept a write, so a CSRF token would protect nothing,
    # and without the exemption CsrfViewMiddleware would answer a POST with a 403 before
    # require_safe could give the 405 that says what the address does accept.
    return csrf_exempt(require_safe(view))


def public_api(view):
    """An API view: it answers methods other than GET and HEAD itself, with a JSON 405
    (``Allow: GET, HEAD``), since everything under the API is JSON; exempt from CSRF for
    the same reason as :func:`public`."""
    return csrf_exempt(view)


class DigitsConverter:
    """Exactly ``width`` digits, so each story has one address (``/2023/09/21/…``)."""

    width = 2

    @property
    def regex(self):
        return rf"[0-9]{{{self.width}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return f"{int(value):0{self.width}d}"


class YearConverter(DigitsConverter):
    width = 4


register_converter(YearConverter, "yyyy")
register_converter(DigitsConverter, "dd")

app_name = "articles"

# The API's addresses, under the prefix its errors are recognised by.
API = api.API_PREFIX.removeprefix("/")

# What each list reads from its query string: its pages are cached under those alone.
CURSORS = {"before": canonical_cursor, "after": canonical_cursor}

urlpatterns = [
    path("", public(cached_page(views.home, query=CURSORS)), name="home"),
    path(
        "<yyyy:year>/<dd:month>/<dd:day>/<slug:slug>/",
        public(cached_page(views.story_detail)),
        name="story",
    ),
    path("tags/<slug:slug>/", public(cached_page(views.tag_detail, query=CURSORS)), name="tag"),
    path(
        "places/<slug:slug>/", public(cached_page(views.place_detail, query=CURSORS)), name="place"
    ),
    path(
        "search/",
        public(cached_page(search.search_view, query=PAGE_QUERY)),
        name="search",
    ),
    path(
        "fragments/latest-news/",
        public(cached_page(views.latest_news)),
        name="latest_news",
    ),
    path(
        "corrections/",
        public(cached_page(corrections.corrections_page, query=CURSORS)),
        name="corrections",
    ),
    path(
        "corrections/feed/",
        public(cached_page(feeds.CorrectionsFeed())),
        name="corrections_feed",
    ),
    path("feeds/rss/", public(cached_page(feeds.LatestStoriesFeed())), name="feed_rss"),
    path("feeds/atom/", public(cached_page(feeds.LatestStoriesAtomFeed())), name="feed_atom"),
    path(
        "tags/<slug:slug>/feed/rss/",
        public(cached_page(feeds.TagFeed())),
        name="tag_feed_rss",
    ),
    path(
        "tags/<slug:slug>/feed/atom/",
        public(cached_page(feeds.TagAtomFeed())),
        name="tag_feed_atom",
    ),
    # Staff only, not a public page: no method guard, and CSRF protection as usual.
    path("preview/<int:pk>/", views.story_preview, name="preview"),
    path(
        f"{API}ninjs/stories/",
        public_api(
            cached_page(api.story_list, query={"before": canonical_cursor, "limit": whole_number})
        ),
        name="api_stories",
    ),
    path(
        f"{API}ninjs/stories/<int:pk>/",
        public_api(cached_page(api.story_detail)),
        name="api_story",
    ),
]
