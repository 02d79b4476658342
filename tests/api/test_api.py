"""The read-only ninjs 2.1 API: documents, pagination, what stays hidden, errors, query budget."""

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator

from articles.models import Story
from tests.factories import make_story

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "ninjs-2.1-subset.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
LIST_URL = reverse("articles:api_stories")


def detail_url(pk) -> str:
    return reverse("articles:api_story", args=[pk])


def get_json(client, url, status=200, **params):
    response = client.get(url, params)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def assert_valid(document: dict) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
    assert not errors, errors


def bodies_by_type(document: dict) -> dict[str, dict]:
    return {body["contenttype"]: body for body in document["bodies"]}


def walk(client, url) -> tuple[list[int], int]:
    """The story ids of every page from ``url`` on, following ``next``, and the page count."""
    ids, pages = [], 0
    while url:
        page = get_json(client, url)
        pages += 1
        for item in page["items"]:
            assert_valid(item)
        ids += [int(item["uri"].rstrip("/").rsplit("-", 1)[-1]) for item in page["items"]]
        url = page["next"]
        assert pages < 100, "next never runs out"
    return ids, pages


def numbered_story(**fields) -> Story:
    """A story whose slug ends in its id, so a document's uri says which story it is."""
    story = make_story(**fields)
    story.slug = f"story-{story.pk}"
    story.save(update_fields=["slug"])
    return story


# The demo story


def test_demo_story_is_valid_ninjs_2_1(client, demo_story):
    """The seed story validates against our ninjs 2.1 subset and names the standard."""
    document = get_json(client, detail_url(demo_story.pk))
    assert_valid(document)
    assert document["uri"] == f"http://testserver{demo_story.get_absolute_url()}"
    assert document["standard"] == {
        "name": "ninjs",
        "version": "2.1",
        "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json",
    }
    assert document["type"] == "text"
    assert document["version"] == str(demo_story.version)
    assert document["language"] == "en"
    assert document["pubstatus"] == "usable"


def test_demo_story_headline_place_credit_and_subjects(client, demo_story):
    """Headline, dateline place (located BAKU), the BSS/AFP credit and tags as subjects."""
    document = get_json(client, detail_url(demo_story.pk))
    assert document["headlines"] == [
        {"role": "main", "value": "Azerbaijan claims victory after Karabakh separatists surrender"}
    ]
    assert document["located"] == "BAKU"
    assert document["copyrightholder"] == "BSS/AFP"
    assert document["copyrightnotice"] == "© BSS/AFP"
    assert document["infosources"] == [{"name": "BSS/AFP"}]
    assert "by" not in document  # the seed story has no byline
    assert document["subjects"] == [
        {"name": name, "uri": f"http://testserver/tags/{slug}/"}
        for name, slug in [
            ("Armenia", "armenia"),
            ("Azerbaijan", "azerbaijan"),
            ("Conflict", "conflict"),
            ("Nagorno-Karabakh", "nagorno-karabakh"),
            ("Russia", "russia"),
        ]
    ]
    assert {s["name"] for s in document["subjects"]} == set(demo_story.tags.names())


def test_demo_story_times(client, demo_story):
    """First created is the publication time, content created the dateline's day, with offsets."""
    document = get_json(client, detail_url(demo_story.pk))
    assert datetime.fromisoformat(document["firstcreated"]) == demo_story.published_at
    assert datetime.fromisoformat(document["versioncreated"]) == demo_story.updated_at
    contentcreated = datetime.fromisoformat(document["contentcreated"])
    assert (contentcreated.date(), contentcreated.time()) == (date(2023, 9, 21), time())
    for field in ("firstcreated", "versioncreated", "contentcreated"):
        assert datetime.fromisoformat(document[field]).utcoffset() is not None


def test_demo_story_bodies(client, demo_story):
    """Plain text and HTML bodies: 37 paragraphs, 3 subheadings, the dateline up front."""
    bodies = bodies_by_type(get_json(client, detail_url(demo_story.pk)))
    plain, html = bodies["text/plain"], bodies["text/html"]
    assert plain["role"] == html["role"] == "main"

    blocks = plain["value"].split("\n\n")
    assert len(blocks) == 37 + 3
    assert blocks[0].startswith("BAKU, Sept 21, 2023 (BSS/AFP) - Azerbaijan said Wednesday")
    assert [blocks[9], blocks[24], blocks[35]] == [
        "Truce deal",
        "'War is over'",
        "International pressure",
    ]
    assert plain["charcount"] == len(plain["value"])

    assert html["value"].count("<p>") == 37
    assert html["value"].startswith(
        '<p><span class="dateline">BAKU, Sept 21, 2023 (BSS/AFP) -</span> Azerbaijan said'
    )
    assert "<h2>Truce deal</h2>" in html["value"]
    assert "<h2>&#x27;War is over&#x27;</h2>" in html["value"]
    # 835 runs of non-space characters, less four "--" dashes and the dateline's "-".
    assert html["wordcount"] == plain["wordcount"] == 830


# Documents of small, known stories


def test_word_and_character_counts_of_a_small_story(client):
    """Words are counted on the body text, subheadings included, lone dashes not."""
    story = make_story(
        sections=[("", ["One two three.", "Four - five"]), ("Six seven", ["Nagorno-Karabakh 8."])]
    )
    plain = bodies_by_type(get_json(client, detail_url(story.pk)))["text/plain"]
    assert plain["value"] == "One two three.\n\nFour - five\n\nSix seven\n\nNagorno-Karabakh 8."
    assert plain["wordcount"] == 9
    assert plain["charcount"] == 59


def test_dateline_words_count_as_body_words(client):
    """The dateline opens the body, so its words count: PARIS (AFP) - adds two."""
    story = make_story(
        sections=[("", ["One two three."])], dateline_place="PARIS", dateline_credit="AFP"
    )
    document = get_json(client, detail_url(story.pk))
    assert_valid(document)
    plain = bodies_by_type(document)["text/plain"]
    assert plain["value"] == "PARIS (AFP) - One two three."
    assert plain["wordcount"] == 5
    assert document["located"] == "PARIS"
    assert "contentcreated" not in document  # a dateline without a date


def test_html_body_escapes_every_text(client):
    """Markup in the copy comes out escaped in the HTML body and verbatim in the plain one."""
    story = make_story(
        sections=[
            ("", ['He wrote <script>alert("x")</script> & left.']),
            ("Q&A <b>", ["Fine."]),
        ]
    )
    document = get_json(client, detail_url(story.pk))
    assert_valid(document)
    bodies = bodies_by_type(document)
    assert bodies["text/html"]["value"] == (
        "<p>He wrote &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; left.</p>\n"
        "<h2>Q&amp;A &lt;b&gt;</h2>\n<p>Fine.</p>"
    )
    assert '<script>alert("x")</script>' in bodies["text/plain"]["value"]


def test_standfirst_is_the_sub_headline_and_byline_the_by(client):
    """A standfirst becomes the sub headline and a byline the ``by`` field."""
    story = make_story(headline="Main", standfirst="The summary.", byline="Jane Doe")
    document = get_json(client, detail_url(story.pk))
    assert_valid(document)
    assert document["headlines"] == [
        {"role": "main", "value": "Main"},
        {"role": "sub", "value": "The summary."},
    ]
    assert document["by"] == "Jane Doe"


def test_story_without_dateline_or_tags_leaves_those_fields_out(client):
    """Optional fields a story has no value for are left out, and the document still validates."""
    story = make_story()
    document = get_json(client, detail_url(story.pk))
    assert_valid(document)
    for field in ("located", "contentcreated", "copyrightholder", "copyrightnotice", "by"):
        assert field not in document
    assert document["subjects"] == []


def test_version_created_is_never_before_first_created(client):
    """A story saved before its scheduled time has its first version at publication."""
    story = make_story()
    Story.objects.filter(pk=story.pk).update(
        updated_at=story.published_at - timedelta(days=1), version=3
    )
    document = get_json(client, detail_url(story.pk))
    assert document["versioncreated"] == document["firstcreated"]
    assert document["version"] == "3"


def test_json_is_utf_8_not_ascii_escaped(client):
    """Non-ASCII text is sent as UTF-8, not as \\u escapes."""
    story = make_story(headline="Café talks in Bakı – “truce”")
    response = client.get(detail_url(story.pk))
    assert response["Content-Type"] == "application/json"
    assert "Café talks in Bakı – “truce”".encode() in response.content
    assert b"\\u" not in response.content


# The list and its pages


def test_list_is_newest_first_with_twenty_a_page(client):
    """The list gives 20 items a page, newest first, and next is an absolute URL or null."""
    stories = [numbered_story(ago=timedelta(minutes=n)) for n in range(1, 26)]
    first = get_json(client, LIST_URL)
    assert set(first) == {"items", "next"}
    assert [item["uri"] for item in first["items"]] == [
        f"http://testserver{story.get_absolute_url()}" for story in stories[:20]
    ]
    assert urlsplit(first["next"])[:3] == ("http", "testserver", LIST_URL)
    second = get_json(client, first["next"])
    assert len(second["items"]) == 5
    assert second["next"] is None


def test_pages_walk_every_story_once_across_equal_publication_times(client):
    """Following next visits each story once, in order, where many share a publication time."""
    now = timezone.now()
    moments = [now - timedelta(hours=hours) for hours in (1, 2, 3)]
    stories = [numbered_story(published_at=moments[n % 3]) for n in range(23)]
    expected = [s.pk for s in sorted(stories, key=lambda s: (s.published_at, s.pk), reverse=True)]

    ids, pages = walk(client, f"{LIST_URL}?limit=4")
    assert ids == expected
    assert pages == 6

    ids, pages = walk(client, f"{LIST_URL}?limit=1")
    assert ids == expected
    assert pages == 23


def test_next_keeps_the_limit_asked_for(client):
    """The next page's address carries the client's limit."""
    for n in range(3):
        make_story(ago=timedelta(minutes=n + 1))
    page = get_json(client, LIST_URL, limit=2)
    assert len(page["items"]) == 2
    assert "limit=2" in page["next"]
    assert "before=" in page["next"]


def test_empty_list(client):
    """With nothing published the list is empty, with no next page."""
    make_story(status=Story.Status.DRAFT)
    assert get_json(client, LIST_URL) == {"items": [], "next": None}


# What stays hidden


def test_drafts_scheduled_and_untimed_stories_are_hidden(client):
    """Drafts, scheduled stories and published ones without a time: not listed, 404 by id."""
    public = numbered_story(headline="Public")
    hidden = [
        make_story(headline="Draft", status=Story.Status.DRAFT),
        make_story(headline="Scheduled", ago=-timedelta(hours=1)),
        make_story(headline="No time", ago=None),
    ]
    items = get_json(client, LIST_URL)["items"]
    assert [item["headlines"][0]["value"] for item in items] == ["Public"]
    assert get_json(client, detail_url(public.pk))["headlines"][0]["value"] == "Public"
    for story in hidden:
        assert get_json(client, detail_url(story.pk), status=404) == {"error": "no such story"}


@pytest.mark.parametrize("pk", [987654, 2**63, 10**30])
def test_missing_story_is_a_json_404(client, pk):
    """An id no story has, however large, is a 404 with a JSON error."""
    make_story()
    assert "error" in get_json(client, detail_url(pk), status=404)


# Bad requests


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": "1e2"},
        {"limit": " 5"},
        {"limit": "٥"},
        {"limit": ""},
        {"limit": "1" * 5000},
        {"before": ""},
        {"before": "garbage"},
        {"before": "1695268500000000"},
        {"before": "1695268500000000-12-3"},
        {"before": "v2:MTY5NTI2ODUwMDAwMDAwMC0xMg=="},
        {"before": "99999999999999999999-1"},
        {"before": "1" * 10000 + "-1"},
        {"before": "1695268500000000-12", "limit": "x"},
    ],
)
def test_bad_parameters_are_a_400_with_a_one_line_json_error(client, params):
    """Malformed, unknown, out of range or absurdly long parameters: 400 and a JSON message."""
    make_story()
    body = get_json(client, LIST_URL, status=400, **params)
    assert set(body) == {"error"}
    assert body["error"]
    assert "\n" not in body["error"]


@pytest.mark.parametrize(
    "cursor", ["0-0", "1695268500000000-99999999999999999999", "253402300799999999-1"]
)
def test_extreme_but_well_formed_cursors_give_a_page(client, cursor):
    """A cursor of the right form at the edges of time or ids is answered, never a 500."""
    make_story()
    page = get_json(client, LIST_URL, before=cursor)
    assert set(page) == {"items", "next"}


def test_writes_are_refused(client):
    """The API is read-only: POST gets a 405 naming the methods allowed."""
    response = client.post(LIST_URL)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {"error": "read-only: use GET"}


# Query budget


@pytest.mark.parametrize("size", [1, 25])
def test_list_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, size):
    """Stories, their sections and their tags: three queries for a page, however many."""
    for n in range(size):
        make_story(
            ago=timedelta(minutes=n + 1),
            sections=[("", ["Lead."]), ("One", ["A.", "B."]), ("Two", ["C."])],
            tags=["Alpha", "Beta", f"Tag {n}"],
            dateline_place="BAKU",
            dateline_credit="AFP",
            dateline_date=date(2023, 9, 21),
        )
    # The stories, sections and tags; and the time of the next scheduled story, which ends
    # the response's lifetime in the cache.
    with django_assert_max_num_queries(4):
        page = get_json(client, LIST_URL, limit=100)
    assert len(page["items"]) == size
    assert all(len(item["subjects"]) == 3 for item in page["items"])


def test_story_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, demo_story):
    """One story with its four sections and five tags: three queries (and the time of the
    next scheduled story, for the response's lifetime in the cache)."""
    with django_assert_max_num_queries(4):
        get_json(client, detail_url(demo_story.pk))
