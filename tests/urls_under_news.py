"""The site's addresses mounted under /news/ (a script prefix), for the tests of links and
fragments in tests/site/."""

from django.urls import include, path

urlpatterns = [path("news/", include("articles.site.urls"))]
