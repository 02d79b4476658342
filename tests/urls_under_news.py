"""The site's addresses mounted under /news/, for tests/test_links.py."""

from django.urls import include, path

urlpatterns = [path("news/", include("articles.site.urls"))]
