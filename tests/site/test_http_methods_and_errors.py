"""Public addresses answer GET and HEAD only (405 otherwise), and the API answers JSON even
when it fails: 400, 404, 405, 500 and 503, while the readers' pages keep their HTML pages."""

import json

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import resolve, reverse

from articles import api
from articles.site import views

pytestmark = pytest.mark.django_db

# "{story}" and "{pk}" are the demo story's page and id.
PAGES = [
    "/",
    "{story}",
    "/tags/azerbaijan/",
    "/places/baku/",
    "/search/?q=truce",
    "/feeds/rss/",
    "/feeds/atom/",
    "/tags/azerbaijan/feed/rss/",
    "/tags/azerbaijan/feed/atom/",
    "/sitemap.xml",
    "/news-sitemap.xml",
    "/healthz",
    "/favicon.ico",
]
API_URLS = ["/api/ninjs/stories/", "/api/ninjs/stories/{pk}/"]
UNSAFE_METHODS = ["TRACE", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
RETRY_AFTER = "30"


def address(template: str, story) -> str:
    return template.format(story=story.get_absolute_url(), pk=story.pk)


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"error"}
    assert body["error"] and "\n" not in body["error"]
    return body


def assert_html(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    with pytest.raises(ValueError):
        json.loads(html)
    return html


@pytest.fixture
def strict_client():
    """A client that checks CSRF tokens as browsers meet them (Django's test client skips it)."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def failing_client(settings):
    """A client that gets the 500 response instead of the view's exception, with DEBUG off."""
    settings.DEBUG = False
    return Client(raise_request_exception=False)


@pytest.fixture
def database_away(monkeypatch):
    """Every connection attempt and query fails, as when the database server is down."""

    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    monkeypatch.setattr(connection, "cursor", refuse)


# Safe methods


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("url", PAGES + API_URLS)
def test_get_and_head_still_answer(client, demo_story, url, method):
    """GET and HEAD keep working on every public address: the guard refuses nothing safe."""
    response = client.generic(method, address(url, demo_story))
    expected = 301 if url == "/favicon.ico" else 200
    assert response.status_code == expected, response.content
    assert "Allow" not in response


# Other methods


@pytest.mark.parametrize("method", UNSAFE_METHODS)
@pytest.mark.parametrize("url", PAGES)
def test_other_methods_on_pages_are_405(strict_client, demo_story, url, method):
    """TRACE, POST, PUT, PATCH, DELETE, OPTIONS on a page: 405 and Allow, never 403 (CSRF)."""
    response = strict_client.generic(method, address(url, demo_story), data="x=1")
    assert response.status_code == 405, response.content
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"].startswith("text/html")
    assert "Cache-Control" not in response


@pytest.mark.parametrize("method", UNSAFE_METHODS)
@pytest.mark.parametrize("url", API_URLS)
def test_other_methods_on_the_api_are_json_405(strict_client, demo_story, url, method):
    """The same methods on the API: a JSON 405 with Allow, never a 403 (CSRF)."""
    response = strict_client.generic(method, address(url, demo_story), data="{}")
    body = assert_json_error(response, 405)
    assert response["Allow"] == "GET, HEAD"
    assert body == {"error": "read-only: use GET"}


def test_staff_preview_keeps_its_csrf_protection(strict_client, demo_story):
    """The preview is not a public page: no method guard, and a POST still needs a token."""
    url = reverse("articles:preview", args=[demo_story.pk])
    assert not getattr(resolve(url).func, "csrf_exempt", False)
    assert strict_client.post(url).status_code == 403


# 404


@pytest.mark.parametrize(
    "url", ["/api/ninjs/stories/abc/", "/api/nothing/", "/api/", "/api", "/api/ninjs/stories/0/"]
)
def test_unknown_api_addresses_are_json_404(client, settings, demo_story, url):
    """An API address nothing answers (or no story has) is a JSON 404, not the HTML page."""
    settings.DEBUG = False
    assert_json_error(client.get(url), 404)


@pytest.mark.parametrize("url", ["/no/such/page/", "/apiary/", "/tags/no-such-tag/", "/ap/i/"])
def test_unknown_pages_keep_the_html_404(client, settings, url):
    """Elsewhere a missing page is still the site's own 404 page."""
    settings.DEBUG = False
    html = assert_html(client.get(url), 404)
    assert "<h1>We can't find that page</h1>" in html


# 400


@pytest.mark.parametrize("url", ["/api/ninjs/stories/", "/api/nothing/"])
def test_bad_requests_to_the_api_are_json_400(client, settings, url):
    """A request Django refuses as bad (here an unknown Host) is a JSON 400 under the API."""
    settings.DEBUG = False
    assert_json_error(client.get(url, headers={"host": "evil.example"}), 400)


def test_bad_requests_to_pages_keep_the_html_400(client, settings):
    """Elsewhere the same bad request gets the site's 400 page."""
    settings.DEBUG = False
    html = assert_html(client.get("/", headers={"host": "evil.example"}), 400)
    assert "That request could not be handled" in html


# 500


def test_server_error_in_the_api_is_json_500(failing_client, monkeypatch):
    """A view that fails under the API answers a JSON 500, no traceback."""

    def fail(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api, "_public_stories", fail)
    body = assert_json_error(failing_client.get("/api/ninjs/stories/"), 500)
    assert "a bug" not in body["error"]


def test_server_error_on_a_page_keeps_the_html_500(failing_client, monkeypatch):
    """A page that fails still gets the site's plain 500 page."""

    def fail(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "_page", fail)
    html = assert_html(failing_client.get("/"), 500)
    assert "Something went wrong on our side" in html
    assert "a bug" not in html


# 503


@pytest.mark.parametrize("url", ["/api/ninjs/stories/?fresh=1", "/api/ninjs/stories/1/?fresh=1"])
def test_database_away_gives_the_api_a_json_503(client, database_away, url):
    """With the database away the API says so in JSON, with Retry-After and no-store."""
    response = client.get(url)
    assert_json_error(response, 503)
    assert response_headers(response) == (RETRY_AFTER, "no-store")


def test_database_away_keeps_the_html_503_for_pages(client, database_away):
    """Pages keep the friendly HTML 503, with the same headers."""
    response = client.get("/?fresh=1")
    html = assert_html(response, 503)
    assert "We'll be back in a moment" in html
    assert response_headers(response) == (RETRY_AFTER, "no-store")


def response_headers(response) -> tuple[str, str]:
    return response["Retry-After"], response["Cache-Control"]


# The prefix


def test_api_prefix_is_where_the_api_is_declared():
    """Every API address starts with API_PREFIX, which decides which errors are JSON."""
    assert reverse("articles:api_stories").startswith(api.API_PREFIX)
    assert reverse("articles:api_story", args=[1]).startswith(api.API_PREFIX)
