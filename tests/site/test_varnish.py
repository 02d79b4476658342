"""Varnish in front: ``deploy/varnish/default.vcl`` in a real ``varnishd`` before the live
server, and the purge client the app calls (``articles/site/varnish.py``).

The tests marked ``slow`` start Debian's ``varnishd`` (with the xkey vmod of
``varnish-modules``); without it they are skipped, and fail under CI. Besides the app's
own pages they use a few views of their own (this module is also the URL configuration
they run under) to try each rule of the VCL on a response made for it.
"""

import itertools
import time
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.urls import include, path, reverse

from articles import services
from articles.models import Story
from articles.site import varnish
from newsroom.urls import urlpatterns as site_urlpatterns
from tests.factories import make_story, story_form_data
from tests.site.varnishd import Varnish, running_varnishd

slow = pytest.mark.slow

# ---------------------------------------------------------------------------------------
# Views made to try the VCL's rules, served under /test-varnish/ beside the site.

_renders = itertools.count(1)
SHARED = "public, max-age=60, s-maxage=300, stale-while-revalidate=300"
CACHE_CONTROL = {
    "keyed": SHARED,  # and the surrogate keys test-<name> and test-all
    "cookie": SHARED,  # and a cookie
    "private": "private, max-age=300",
    "unmarked": None,
    "short-lived": "public, s-maxage=1, stale-while-revalidate=60",  # fresh for a second
    "revalidated": "public, s-maxage=1, stale-while-revalidate=60",  # and the same each time
}


def made(request, kind, name=""):
    """A response of one kind, saying which render of the app it is."""
    body = f"{kind} {name}" if kind == "revalidated" else f"{kind} {name} render {next(_renders)}"
    response = HttpResponse(body, content_type="text/plain")
    if CACHE_CONTROL[kind]:
        response["Cache-Control"] = CACHE_CONTROL[kind]
    if kind in ("keyed", "revalidated"):
        response["Surrogate-Key"] = f"test-{name or kind} test-all"
    if kind == "cookie":
        response.set_cookie("seen", "1")
    return response


def assembled(request):
    """A page whose fragment Varnish includes, when Varnish says it can."""
    if "ESI/1.0" in request.headers.get("Surrogate-Capability", ""):
        fragment = '<esi:include src="/test-varnish/keyed/fragment/"/>'
    else:
        fragment = "no ESI"
    response = HttpResponse(f"<p>page render {next(_renders)}</p><p>{fragment}</p>")
    response["Cache-Control"] = SHARED
    response["Surrogate-Key"] = "test-page"
    if fragment != "no ESI":
        response["Surrogate-Control"] = 'content="ESI/1.0"'
    return response


def echo(request):
    """What reached the app of the reader's Cookie and Surrogate-Capability headers."""
    seen = f"{request.headers.get('Cookie')}|{request.headers.get('Surrogate-Capability')}"
    response = HttpResponse(seen, content_type="text/plain")
    response["Cache-Control"] = "private"
    return response


urlpatterns = [
    path(
        "test-varnish/",
        include(
            [
                path("assembled/", assembled),
                path("echo/", echo),
                path("<slug:kind>/<slug:name>/", made),
                path("<slug:kind>/", made),
            ]
        ),
    ),
    *site_urlpatterns,
]

# ---------------------------------------------------------------------------------------
# A real varnishd with the project's VCL (tests/site/varnishd.py), before the live server.


@pytest.fixture(scope="module")
def varnishd(live_server):
    """varnishd with the project's VCL, its backend the live server's port."""
    with running_varnishd(urlsplit(live_server.url).port) as instance:
        yield instance


@pytest.fixture
def through_varnish(varnishd, settings, transactional_db):
    """Varnish in front of this module's URLs; the app purges it; nothing cached yet."""
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    settings.VARNISH_PURGE_URLS = [varnishd.url]
    varnishd.forget_everything()
    return varnishd


def eventually(fetch, done, seconds=1.0):
    """Fetch until ``done(result)`` or ``seconds`` have passed; the last result."""
    deadline = time.monotonic() + seconds
    result = fetch()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(0.02)
        result = fetch()
    return result


def cached_twice(front: Varnish, target: str):
    """Request ``target`` until Varnish holds it: the second answer is a hit."""
    first = front.get(target)
    second = front.get(target)
    assert first[0] == second[0] == 200, (first[0], second[0])
    assert (first[1]["X-Cache"], second[1]["X-Cache"]) == ("MISS", "HIT"), target
    return second


# ---------------------------------------------------------------------------------------
# The VCL's rules, on views made for them: they do not wait on the app's surrogate keys.


@slow
def test_a_public_page_is_cached(through_varnish):
    """The story page is served from Varnish the second time: a hit, with an Age."""
    story = make_story(headline="Truce holds in Karabakh")
    _, headers, body = cached_twice(through_varnish, story.get_absolute_url())
    assert "Truce holds in Karabakh" in body
    assert int(headers["Age"]) >= 0
    assert len(headers["X-Varnish"].split()) == 2  # this request's id and the cached one's


@slow
def test_readers_cookies_do_not_stop_hits_and_do_not_reach_the_app(through_varnish):
    """Cookies are dropped on public paths; the client's Surrogate-Capability is replaced."""
    cookie = {"Cookie": "sessionid=abc; _ga=GA1.2", "Surrogate-Capability": 'me="ESI/1.0"'}
    through_varnish.get("/test-varnish/keyed/cookies/", cookie)
    assert through_varnish.get("/test-varnish/keyed/cookies/", cookie)[1]["X-Cache"] == "HIT"
    _, _, seen = through_varnish.get("/test-varnish/echo/", cookie)
    assert seen == 'None|varnish="ESI/1.0"'


@slow
def test_the_desk_is_never_cached_and_gets_its_cookies(through_varnish, client, editor):
    """/admin/ is passed every time, cookies and all: the editor is logged in through it."""
    answers = [through_varnish.get("/admin/login/") for _ in range(2)]
    assert [headers["X-Cache"] for _, headers, _ in answers] == ["MISS", "MISS"]
    assert "csrftoken=" in answers[0][1]["Set-Cookie"]  # the desk's cookies reach the browser
    client.force_login(editor)
    session = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    status, headers, body = through_varnish.get("/admin/", session)
    assert status == 200 and headers["X-Cache"] == "MISS"
    assert "eddie" in body.lower()  # the desk's own page for this editor, not the login


@slow
@pytest.mark.parametrize("kind", ["cookie", "private", "unmarked"])
def test_responses_not_marked_public_or_setting_cookies_are_not_cached(through_varnish, kind):
    """Set-Cookie, private and no Cache-Control at all: the app answers every request."""
    target = f"/test-varnish/{kind}/"
    answers = [through_varnish.get(target) for _ in range(2)]
    assert [headers["X-Cache"] for _, headers, _ in answers] == ["MISS", "MISS"]
    assert answers[0][2] != answers[1][2]  # rendered twice
    if kind == "cookie":
        assert answers[1][1]["Set-Cookie"].startswith("seen=1")  # passed on to the reader


@slow
def test_purge_by_key_purges_only_what_carries_it(through_varnish):
    """purge() removes the objects carrying the key; the others stay hits. The keys
    themselves are never shown to clients."""
    _, headers, before = cached_twice(through_varnish, "/test-varnish/keyed/one/")
    assert "Surrogate-Key" not in headers and "xkey" not in headers
    cached_twice(through_varnish, "/test-varnish/keyed/two/")
    varnish.purge(["test-one", "test-nothing"])
    _, headers, after = through_varnish.get("/test-varnish/keyed/one/")
    assert headers["X-Cache"] == "MISS" and after != before
    assert through_varnish.get("/test-varnish/keyed/two/")[1]["X-Cache"] == "HIT"
    assert varnish.retries.pending() == []


@slow
def test_a_purge_from_an_address_not_in_the_acl_is_refused(through_varnish):
    """From 127.0.0.2: 403 and nothing purged; the same purge from 127.0.0.1 works."""
    cached_twice(through_varnish, "/test-varnish/keyed/acl/")
    purge = ("PURGE", "/", {"xkey-purge": "test-acl"})
    status, _, body = through_varnish.request(*purge, source="127.0.0.2")
    assert (status, body.strip()) == (403, "Forbidden")
    assert through_varnish.get("/test-varnish/keyed/acl/")[1]["X-Cache"] == "HIT"
    status, _, body = through_varnish.request(*purge, source="127.0.0.1")
    assert (status, body.strip()) == (200, "Purged 1 objects")
    assert through_varnish.get("/test-varnish/keyed/acl/")[1]["X-Cache"] == "MISS"


@slow
def test_a_purge_without_keys_purges_that_address(through_varnish):
    """PURGE /path with no xkey-purge header removes that page alone."""
    cached_twice(through_varnish, "/test-varnish/keyed/address/")
    cached_twice(through_varnish, "/test-varnish/keyed/other/")
    assert through_varnish.request("PURGE", "/test-varnish/keyed/address/")[0] == 200
    assert through_varnish.get("/test-varnish/keyed/address/")[1]["X-Cache"] == "MISS"
    assert through_varnish.get("/test-varnish/keyed/other/")[1]["X-Cache"] == "HIT"


@slow
def test_edge_side_includes_are_assembled_and_purged_on_their_own(through_varnish):
    """The page comes whole; purging the fragment's key leaves the page a hit with the
    fragment fresh."""
    _, headers, page = cached_twice(through_varnish, "/test-varnish/assembled/")
    assert "esi:include" not in page and "fragment render" in page
    assert "Surrogate-Control" not in headers
    varnish.purge(["test-fragment"])
    _, headers, again = through_varnish.get("/test-varnish/assembled/")
    assert headers["X-Cache"] == "HIT"
    assert again.split("</p>")[0] == page.split("</p>")[0]  # the same page render
    assert again != page  # a new fragment in it


@slow
def test_stale_while_revalidate_serves_stale_while_fetching(through_varnish):
    """Past s-maxage, within stale-while-revalidate: the old copy at once, then the new."""
    first = through_varnish.get("/test-varnish/short-lived/")[2]
    time.sleep(1.2)
    _, headers, stale = through_varnish.get("/test-varnish/short-lived/")
    assert (headers["X-Cache"], stale) == ("HIT", first)
    fresh = eventually(lambda: through_varnish.get("/test-varnish/short-lived/")[2], first.__ne__)
    assert fresh != first


@slow
def test_a_page_revalidated_with_a_304_can_still_be_purged(through_varnish):
    """Past s-maxage Varnish asks again with If-None-Match and Django answers 304, which
    carries no Surrogate-Key: the refreshed object keeps the keys it had."""
    through_varnish.get("/test-varnish/revalidated/")
    time.sleep(1.2)
    assert through_varnish.get("/test-varnish/revalidated/")[1]["X-Cache"] == "HIT"  # stale
    time.sleep(0.3)  # the background revalidation (a 304) is done
    purge = ("PURGE", "/", {"xkey-purge": "test-revalidated"})
    status, _, body = through_varnish.request(*purge, source="127.0.0.1")
    assert (status, body.strip()) == (200, "Purged 1 objects")


# ---------------------------------------------------------------------------------------
# The app's own purges: these need its Surrogate-Key headers, ESI sidebar and purge calls.


def edit_headline(client, editor, story: Story, headline: str) -> None:
    client.force_login(editor)
    url = reverse("admin:articles_story_change", args=[story.pk])
    response = client.post(url, story_form_data(story, headline=headline))
    assert response.status_code == 302, response.content.decode()[:2000]


@slow
def test_an_edit_at_the_desk_shows_through_varnish_within_a_second(
    through_varnish, client, editor
):
    """The editor saves; within a second readers of the cached page see the new headline."""
    story = make_story(headline="Ceasefire talks begin", dateline_place="BAKU")
    cached_twice(through_varnish, story.get_absolute_url())
    edit_headline(client, editor, story, "Ceasefire agreed in Yevlakh")
    _, _, body = eventually(
        lambda: through_varnish.get(story.get_absolute_url()), lambda r: "agreed" in r[2]
    )
    assert "Ceasefire agreed in Yevlakh" in body


@slow
def test_an_unrelated_story_stays_cached_after_an_edit(through_varnish, client, editor):
    """Only what the edit touched is purged: another story's page is still a hit."""
    story = make_story(headline="Refugees reach Goris", dateline_place="GORIS")
    other = make_story(headline="Monsoon rains in Dhaka", dateline_place="DHAKA")
    cached_twice(through_varnish, story.get_absolute_url())
    cached_twice(through_varnish, other.get_absolute_url())
    edit_headline(client, editor, story, "Thousands of refugees reach Goris")
    _, _, body = eventually(
        lambda: through_varnish.get(story.get_absolute_url()), lambda r: "Thousands" in r[2]
    )
    assert "Thousands of refugees reach Goris" in body
    status, headers, body = through_varnish.get(other.get_absolute_url())
    assert (status, headers["X-Cache"]) == (200, "HIT")


@slow
def test_a_new_story_appears_in_the_sidebar_of_a_cached_page(through_varnish, editor):
    """Publishing purges the sidebar fragment alone: the story page around it stays a hit
    and shows the new story in its latest news."""
    story = make_story(headline="Truce deal signed", dateline_place="BAKU")
    _, _, page = cached_twice(through_varnish, story.get_absolute_url())
    assert "esi:include" not in page
    draft = make_story(
        headline="Aid convoy crosses Lachin corridor",
        dateline_place="LACHIN",
        status=Story.Status.DRAFT,
        ago=None,
    )
    assert draft.headline not in page
    services.publish_story(story=draft, user=editor)
    _, headers, page = eventually(
        lambda: through_varnish.get(story.get_absolute_url()),
        lambda r: draft.headline in r[2],
    )
    assert draft.headline in page
    assert headers["X-Cache"] == "HIT"
