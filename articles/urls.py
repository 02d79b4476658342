from django.urls import path, register_converter

from articles import api, feeds, search, views
from articles.caching import cached_page


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

urlpatterns = [
    path("", cached_page(views.home), name="home"),
    path(
        "<yyyy:year>/<dd:month>/<dd:day>/<slug:slug>/",
        cached_page(views.story_detail),
        name="story",
    ),
    path("tags/<slug:slug>/", cached_page(views.tag_detail), name="tag"),
    path("places/<slug:slug>/", cached_page(views.place_detail), name="place"),
    path("search/", search.search_view, name="search"),
    path("feeds/rss/", cached_page(feeds.LatestStoriesFeed()), name="feed_rss"),
    path("feeds/atom/", cached_page(feeds.LatestStoriesAtomFeed()), name="feed_atom"),
    path("tags/<slug:slug>/feed/rss/", cached_page(feeds.TagFeed()), name="tag_feed_rss"),
    path("tags/<slug:slug>/feed/atom/", cached_page(feeds.TagAtomFeed()), name="tag_feed_atom"),
    path("preview/<int:pk>/", views.story_preview, name="preview"),
    path("api/ninjs/stories/", cached_page(api.story_list), name="api_stories"),
    path("api/ninjs/stories/<int:pk>/", cached_page(api.story_detail), name="api_story"),
]
