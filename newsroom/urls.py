from django.contrib import admin
from django.urls import include, path
from django.views import defaults

from articles import api
from articles.site import sitemaps, views
from articles.site.caching import cached_page, whole_number
from articles.site.urls import public

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", public(views.healthz), name="healthz"),
    path("favicon.ico", public(views.favicon)),
    path(
        "sitemap.xml",
        public(cached_page(sitemaps.sitemap, query={"p": whole_number})),
        name="sitemap",
    ),
    path("news-sitemap.xml", public(cached_page(sitemaps.news_sitemap)), name="news_sitemap"),
    path("", include("articles.site.urls")),
]


# Error pages (with DEBUG off): JSON under the API, like everything else it answers; the
# site's own pages elsewhere (Django's handlers, rendering templates/jinja2/4xx/500.html).
def bad_request(request, exception):
    """400: a JSON error for the API, the site's 400.html page for everything else."""
    if api.is_api_request(request):
        return api.error_response("bad request", status=400)
    return defaults.bad_request(request, exception)


def page_not_found(request, exception):
    """404: a JSON error for the API, the site's 404.html page for everything else."""
    if api.is_api_request(request):
        return api.error_response("not found", status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: a JSON error for the API, the site's 500.html page for everything else."""
    if api.is_api_request(request):
        return api.error_response("internal server error", status=500)
    return defaults.server_error(request)


handler400 = bad_request
handler404 = page_not_found
handler500 = server_error
