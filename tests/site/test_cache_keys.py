"""Cache keys that ignore noise: a page is cached under its path and the parameters it reads.

Once the key was the whole address, so ``?utm_source=<random>`` made every request a full
render (800 to 90 requests a second) and stored a copy of the page per variant.
"""

import pytest
from django.core.cache import cache

from articles.site import entries
from tests.factories import make_story


@pytest.fixture
def stories(db):
    return [make_story(headline=f"Story {n}", tags=["Baku"]) for n in range(25)]


NOISE = [
    "?utm_source=newsletter&utm_medium=email",
    "?fbclid=IwAR0abc",
    "?gclid=xyz&utm_campaign=1",
    "?anything=at-all&x=1",
]


@pytest.mark.parametrize("noise", NOISE)
@pytest.mark.parametrize("path", ["/", "/tags/baku/", "/feeds/rss/", "/api/ninjs/stories/"])
def test_noise_is_answered_from_the_clean_pages_entry(
    client, stories, path, noise, django_assert_num_queries
):
    """After the clean page is cached, any tracking or unknown parameter costs no query."""
    clean = client.get(path)
    assert clean.status_code == 200
    with django_assert_num_queries(0):
        noisy = client.get(path + noise)
    assert noisy.status_code == 200
    assert noisy.content == clean.content


def test_noise_stores_nothing_more(client, stories):
    """A hundred tracking variants leave one entry in the cache, not a hundred."""
    client.get("/")
    before = len(entries.recent_pages._entries)
    for n in range(100):
        client.get(f"/?utm_source=s{n}&fbclid={n}")
    assert len(entries.recent_pages._entries) == before


def test_parameters_a_page_reads_still_make_their_own_page(client, stories):
    """``before`` is the next page on lists; ``limit`` a page size in the API."""
    first = client.get("/")
    cursor = first.context["page"].older if first.context else None
    html = first.content.decode()
    if cursor is None:  # Jinja2 responses carry no context: read the link instead
        cursor = html.split("?before=", 1)[1].split('"', 1)[0]
    older = client.get(f"/?before={cursor}&utm_source=x")
    assert older.content != first.content
    assert "Story 4" in older.content.decode() and "Story 4" not in html
    three = client.get("/api/ninjs/stories/?limit=3&utm_source=x").json()
    assert len(three["items"]) == 3
    assert len(client.get("/api/ninjs/stories/").json()["items"]) == 20


def test_an_empty_tag_is_not_found_whatever_the_noise(client, db):
    """A tag with no public stories is a 404 with or without noise, never a cached 200."""
    make_story(status="draft", tags=["Secret"])
    assert client.get("/tags/secret/?utm_source=x").status_code == 404
    assert client.get("/tags/secret/").status_code == 404


def test_noise_on_addresses_that_are_not_cached_pages_never_touches_the_cache(
    client, db, monkeypatch
):
    """A query string on a 404 or the admin neither reads nor writes the page cache (the
    404's sidebar is a fragment, one entry whatever the address)."""

    def refusing_pages(real):
        def call(key, *args, **kwargs):
            if key.startswith("response:"):
                raise AssertionError("the page cache was consulted")
            return real(key, *args, **kwargs)

        return call

    monkeypatch.setattr(cache, "get", refusing_pages(cache.get))
    monkeypatch.setattr(cache, "set", refusing_pages(cache.set))
    assert client.get("/no/such/page/?utm_source=x").status_code == 404
    assert client.get("/admin/login/?utm_source=x").status_code == 200


def test_made_up_cursors_share_one_entry(client, stories, django_assert_num_queries):
    """Cursors this site did not make all get the newest page, from one cache entry."""
    first = client.get("/?before=nonsense")
    assert first.status_code == 200
    kept = len(entries.recent_pages._entries)
    for n in range(50):
        with django_assert_num_queries(0):
            again = client.get(f"/?before=x{n}")
        assert again.content == first.content
    assert len(entries.recent_pages._entries) == kept


def test_padded_numbers_and_cursors_are_the_same_page(client, stories, django_assert_num_queries):
    """``limit=003`` is ``limit=3``; a cursor with leading zeros is the same cursor."""
    three = client.get("/api/ninjs/stories/?limit=3")
    with django_assert_num_queries(0):
        padded = client.get("/api/ninjs/stories/?limit=003")
    assert padded.content == three.content
    cursor = three.json()["next"].split("before=", 1)[1].split("&", 1)[0]
    older = client.get(f"/?before={cursor}")
    with django_assert_num_queries(0):
        same = client.get(f"/?before=000{cursor}")
    assert same.content == older.content


def test_a_repeated_parameter_is_keyed_by_the_value_the_view_reads(client, stories):
    """The view reads the last value, so the key does too: two orders, two pages."""
    first_page = client.get("/").content.decode()
    cursor = first_page.split("?before=", 1)[1].split('"', 1)[0]
    newest = client.get(f"/?before={cursor}&before=nonsense").content
    older = client.get(f"/?before=nonsense&before={cursor}").content
    assert newest != older
    assert "Story 4" in older.decode() and "Story 4" not in newest.decode()
