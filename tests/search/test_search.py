"""Reader search: stored full-text vectors on PostgreSQL, a plain fallback on SQLite."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from taggit.models import Tag

from articles import search, services
from articles.models import SearchWord, Story
from articles.services import history
from articles.services.fixtures import SOURCE_DIR
from tests.factories import make_story, story_form_data

pytestmark = pytest.mark.django_db

POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(
    not POSTGRESQL,
    reason="ranking, websearch syntax, typo tolerance and stored vectors are PostgreSQL's; "
    "run with DATABASE_URL=postgres://…",
)
SEED = SOURCE_DIR / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"


def story_with(text: str, **fields) -> Story:
    """A published story whose one paragraph is ``text``, with fresh search fields."""
    story = make_story(sections=[("", [text])], **fields)
    search.refresh_stories([story.pk])
    return story


def search_page(client, query: str, **params):
    response = client.get(reverse("articles:search"), {"q": query, **params})
    assert response.status_code == 200
    return response


def main(response) -> str:
    """The page's own content, without the sidebar that lists the latest stories."""
    return re.search(r"<main .*?</main>", response.content.decode(), re.S).group()


def results(response) -> list[Story]:
    """The stories a results page lists, in its order, known by the addresses it links."""
    urls = re.findall(
        r'<article class="story-card search-result">\s*<h2><a href="([^"]+)">', main(response)
    )
    stories = {story.get_absolute_url(): story for story in Story.objects.all()}
    return [stories[url] for url in urls]


def found(client, query: str, **params) -> list[Story]:
    return results(search_page(client, query, **params))


def snippets(response) -> list[str]:
    """Each result's snippet, as HTML, in the page's order."""
    return re.findall(r'<p class="snippet">(.*?)</p>', main(response))


def query_in_form(response) -> str:
    """The query the page searched for, as it fills the search box."""
    value = re.search(
        r'<input type="search" id="search-query" name="q" value="([^"]*)"',
        response.content.decode(),
    )
    return unescape(value.group(1))


def page_number(response) -> int:
    return int(re.search(r"<span>Page (\d+) of \d+</span>", main(response)).group(1))


def headlines(query: str) -> list[str]:
    return [story.headline for story in search.search_stories(query)]


# On both databases --------------------------------------------------------------------------


def test_a_word_finds_the_demo_story_with_the_word_marked(client, demo_story):
    """ "Pashinyan" finds the seed story, linked, with the word marked in the snippet."""
    search.refresh_stories([demo_story.pk])
    response = search_page(client, "Pashinyan")
    assert found(client, "Pashinyan") == [demo_story]
    html = main(response)
    assert f'<a href="{demo_story.get_absolute_url()}">{demo_story.headline}</a>' in html
    assert "<mark>Pashinyan</mark>" in html
    assert "BAKU" in html
    assert "1 story matching" in html


def test_a_word_in_a_subheading_is_found(client):
    """Subheadings are searched as well as the headline and paragraphs."""
    story = make_story(sections=[("", ["The lead."]), ("Harbour talks", ["More."])])
    search.refresh_stories([story.pk])
    assert found(client, "harbour") == [story]


def test_drafts_and_scheduled_stories_never_appear(client):
    """Only published stories whose time has come are found."""
    live = story_with("Zanzibar ferry news.", headline="Zanzibar live")
    story_with("Zanzibar ferry news.", headline="Zanzibar draft", status=Story.Status.DRAFT)
    story_with("Zanzibar ferry news.", headline="Zanzibar scheduled", ago=-timedelta(days=1))
    assert found(client, "Zanzibar") == [live]
    assert "Zanzibar draft" not in main(search_page(client, "Zanzibar ferry"))


def test_an_empty_query_asks_for_a_word(client):
    """No query: the form and a calm prompt, no results."""
    response = search_page(client, "")
    html = main(response)
    assert "Type a word to search" in html
    assert '<input type="search" id="search-query" name="q" value=""' in html
    assert '<label for="search-query">' in html
    assert results(response) == []
    assert "search-summary" not in html and "No stories match" not in html


def test_no_match_says_so(client):
    """A query that matches nothing says so calmly."""
    story_with("Nothing to see.")
    assert "No stories match “Xylophonist”" in main(search_page(client, "Xylophonist"))


ODD_QUERIES = [
    " ",
    "\t \n",
    "&&&",
    "!!!",
    "|",
    "((((",
    "a:*",
    "\\",
    '"',
    '"unclosed phrase',
    '""',
    "-",
    "-Putin",
    "or",
    "OR OR",
    "'; DROP TABLE articles_story; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    "Pashin\x00yan",
    "\x00",
    "東京 Ålesund ÇAĞ 🙂",
    "\u202eevil",
    "x" * 10_000,
    "word " * 2_000,
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=lambda q: repr(q[:20]))
def test_odd_queries_answer_calmly(client, demo_story, query):
    """Empty, punctuation, operators, SQL, NUL, unicode and huge queries all give a page."""
    search.refresh_stories([demo_story.pk])
    response = search_page(client, query)
    html = main(response)
    assert "<script>alert" not in html
    assert "\x00" not in html
    assert query_in_form(response) == search.clean_query(query)
    assert len(query_in_form(response)) <= search.MAX_QUERY_LENGTH


def test_a_nul_byte_in_the_address_is_dropped(client):
    """``%00`` never reaches the database (PostgreSQL refuses NUL in text)."""
    response = client.get("/search/?q=%00Baku%00")
    assert response.status_code == 200
    assert query_in_form(response) == "Baku"


def test_a_long_query_is_cut_before_searching(client):
    """A 10,000-character query is searched as its first 200 characters."""
    html = main(search_page(client, "y" * 10_000))
    assert 'value="' + "y" * 200 + '"' in html
    assert "y" * 201 not in html


def test_snippets_escape_the_story_text(client):
    """Story text is text: a ``<script>`` in it is shown escaped, only ``<mark>`` is HTML."""
    story_with(
        'Quokka <script>alert("x")</script> & <b>bold</b> claims.',
        headline="Quokka <i>news</i>",
    )
    html = main(search_page(client, "Quokka"))
    assert "<script" not in html
    assert "<b>" not in html and "<i>" not in html
    # PostgreSQL's snippets leave out what its parser takes for tags; SQLite's keep them.
    assert "alert(&quot;x&quot;)" in html
    assert "<mark>Quokka</mark>" in html


def test_snippet_markup_is_built_from_escaped_pieces():
    """Only the selection markers become ``<mark>``; everything else is escaped."""
    start, stop = search.START_SEL, search.STOP_SEL
    raw = f"a <b> {start}x&y{stop} and a stray {start}"
    assert search.marked_snippet(raw) == "a &lt;b&gt; <mark>x&amp;y</mark> and a stray"
    plain = search.plain_snippet("Tom & <Jerry> met Jerry.", ["jerry"], whole_words=True)
    assert plain == "Tom &amp; &lt;<mark>Jerry</mark>&gt; met <mark>Jerry</mark>."


def test_results_are_paginated_twenty_a_page(client):
    """25 matches: 20, then 5; a page past the end shows the last; nonsense shows the first."""
    for n in range(25):
        story_with(f"Wombat report number {n}.", headline=f"Wombat {n}")
    first = search_page(client, "wombat")
    assert len(results(first)) == 20
    html = main(first)
    assert "25 stories matching “wombat”, showing 1–20." in html
    assert 'href="?q=wombat&amp;page=2" rel="next"' in html
    second = search_page(client, "wombat", page=2)
    assert len(results(second)) == 5
    assert 'href="?q=wombat&amp;page=1" rel="prev"' in main(second)
    assert page_number(search_page(client, "wombat", page=99)) == 2
    assert page_number(search_page(client, "wombat", page="abc")) == 1
    seen = {s.pk for s in results(first)} | {s.pk for s in results(second)}
    assert len(seen) == 25


def count_queries(client, query: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        search_page(client, query)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_results(client):
    """One match or 25, a results page runs the same few queries.

    At most 9 here: on PostgreSQL the exact candidates, the lexicon, the typo candidates
    (``numbat`` is close to ``number``, from the factory's headlines) between the four
    statements of the savepoint that scopes their time limit, the page and the sidebar's
    latest stories. (Outside a test's transaction the savepoint is one ``set_config``.)
    """
    story_with("Numbat sighting.", tags=["Wildlife"])
    one = count_queries(client, "numbat")
    for n in range(24):
        story_with(f"Numbat sighting {n}.", tags=["Wildlife", f"Place {n}"])
    assert count_queries(client, "numbat") == one
    assert one <= 9


TRANSACTION_CONTROL = re.compile(r"^(BEGIN|SAVEPOINT|RELEASE|ROLLBACK|SELECT set_config)", re.I)


def test_search_itself_reads_in_three_queries():
    """Counting and reading a page is three reads (on PostgreSQL: the exact candidates, the
    lexicon, which has no word close to "dingo", and the page; on SQLite: count, page,
    sections), plus any statements scoping a time limit."""
    for n in range(30):
        story_with(f"Dingo tracks {n}.")
    with CaptureQueriesContext(connection) as queries:
        results = search.search_stories("dingo")
        assert results.count() == 30
        assert len(results[0:20]) == 20
    reads = [q["sql"] for q in queries if not TRANSACTION_CONTROL.match(q["sql"])]
    assert len(reads) == 3, reads
    assert len(queries) <= 7


def test_a_common_word_counts_and_pages_a_bounded_number_of_matches(client, monkeypatch):
    """More matches than ``MAX_RESULTS``: the page says "more than" and pages through the
    newest ``MAX_RESULTS`` of them only, so no request counts or ranks them all."""
    monkeypatch.setattr(search, "MAX_RESULTS", 5)
    monkeypatch.setattr(search, "RESULTS_PER_PAGE", 2)
    stories = [story_with(f"Quoll count {n}.", ago=timedelta(days=n + 1)) for n in range(8)]
    results = search.search_stories("quoll")
    assert results.count() == 5 and results.more
    assert {story.pk for story in results[0:20]} == {story.pk for story in stories[:5]}
    first = search_page(client, "quoll")
    assert (
        "More than 5 stories matching “quoll”: the newest 5, best match first, showing 1–2."
        in (main(first))
    )
    assert page_number(search_page(client, "quoll", page=99)) == 3
    seen = [s.pk for n in (1, 2, 3) for s in found(client, "quoll", page=n)]
    assert sorted(seen) == sorted(story.pk for story in stories[:5])
    few = search.search_stories("quoll 3")
    assert not few.more


def test_a_rare_word_finds_an_old_story_however_many_new_ones_match_the_others(
    client, monkeypatch
):
    """The cap bounds common words only: a specific word still finds a story from years ago,
    alone or beside a common word."""
    monkeypatch.setattr(search, "MAX_RESULTS", 5)
    for n in range(8):
        story_with(f"Quoll count {n}.")
    old = story_with("Quoll and bilby count.", ago=timedelta(days=3650))
    assert found(client, "bilby") == [old]
    assert found(client, "quoll bilby") == [old]
    assert "1 story matching" in main(search_page(client, "bilby"))


def test_rebuild_search_command(demo_story, capsys):
    """``rebuild_search`` fills the stored fields after a fixture load emptied them."""
    call_command("rebuild_search")
    out = capsys.readouterr().out
    if POSTGRESQL:
        assert "Rebuilt the search fields of 1 story." in out
        demo_story.refresh_from_db()
        assert "Pashinyan" in demo_story.search_document
    else:
        assert "Nothing to rebuild" in out
    assert headlines("Pashinyan") == [demo_story.headline]


@postgresql_only
def test_rebuild_search_indexes_the_rest_when_one_story_cannot_be(capsys):
    """A story beyond PostgreSQL's 1 MB vector limit is named on one line; every other
    story of its batch is rebuilt, and the command exits with an error."""
    from tests.test_import_batch import too_many_words

    good = [make_story(headline=f"Quokka census {n}") for n in range(3)]
    huge = make_story(headline="Unindexable", sections=[("", [too_many_words()])])
    Story.objects.update(search_vector=None, search_document="")
    with pytest.raises(CommandError, match="1 stories could not be indexed; the rest were"):
        call_command("rebuild_search")
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"Story {huge.pk} could not be indexed for search: string is too long")
    assert "\n" not in err
    assert sorted(headlines("Quokka")) == sorted(story.headline for story in good)


# PostgreSQL: ranking, syntax, typos and keeping the vector fresh ----------------------------


@postgresql_only
def test_a_typo_finds_the_demo_story_with_the_real_word_marked(client, demo_story):
    """ "Pashinian" finds the story that says "Pashinyan", and marks "Pashinyan"."""
    search.refresh_stories([demo_story.pk])
    assert found(client, "Pashinian") == [demo_story]
    assert "<mark>Pashinyan</mark>" in main(search_page(client, "Pashinian"))


@postgresql_only
def test_headline_matches_rank_above_body_matches(client):
    """A word in the headline outranks the same word in a paragraph, newer or not."""
    in_headline = story_with("Ice is melting.", headline="Glacier retreats", ago=timedelta(days=2))
    in_body = story_with("A glacier was seen.", headline="Mountain news", ago=timedelta(hours=1))
    assert found(client, "glacier") == [in_headline, in_body]
    ranked = search.search_stories("glacier")[0:20]
    assert ranked[0].rank > ranked[1].rank


@postgresql_only
def test_websearch_syntax_phrases_exclusions_and_or(client):
    """Quoted phrases, ``-word`` and ``or`` work as on a web search engine."""
    with_putin = story_with("A peace deal was signed, Putin said.")
    without = story_with("A peace deal was signed in Yerevan.")
    apart = story_with("Peace came before any deal in Tbilisi.")
    assert found(client, '"peace deal" -Putin') == [without]
    assert set(found(client, '"peace deal"')) == {with_putin, without}
    assert set(found(client, "peace deal")) == {with_putin, without, apart}
    assert set(found(client, "Yerevan or Tbilisi")) == {without, apart}


@postgresql_only
def test_exclusions_apply_to_typo_matches_too(client):
    """``-word`` also keeps out stories found by typo tolerance."""
    story_with("Minister Pashinyan spoke with Putin.")
    assert found(client, "Pashinian -Putin") == []


@postgresql_only
def test_typo_matches_come_after_exact_matches(client):
    """Stories with the exact word come first, those with a close spelling after."""
    close = story_with("Talks with Pashinian today.", ago=timedelta(minutes=5))
    exact = story_with("Talks with Pashinyan today.", ago=timedelta(days=3))
    response = search_page(client, "Pashinyan")
    assert results(response) == [exact, close]
    assert "<mark>Pashinian</mark>" in snippets(response)[1]


@postgresql_only
def test_typo_matches_never_include_drafts_or_scheduled_stories(client):
    """Typo tolerance reads through the same rule for public as everything else."""
    story_with("Zanzibar ferry.", headline="Draft", status=Story.Status.DRAFT)
    story_with("Zanzibar ferry.", headline="Scheduled", ago=-timedelta(hours=2))
    live = story_with("Zanzibar ferry.", headline="Live")
    assert found(client, "Zanzibr") == [live]


@postgresql_only
def test_the_lexicon_holds_the_words_of_refreshed_stories():
    """Typo tolerance compares query words with the lexicon, the stems of the stored vectors
    (not numbers); a rebuild drops the words no story has any longer."""
    story_with("Minister Pashinyan spoke in Kirkenes in 2023.")
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"pashinyan", "kirken", "minist", "spoke"} <= words
    assert "2023" not in words
    SearchWord.objects.create(word="obsoletus")
    search.refresh_all()
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert "obsoletus" not in words
    assert "pashinyan" in words


@postgresql_only
def test_a_typo_finds_an_old_story_and_ranks_its_words(client):
    """A misspelt word finds a story from years ago, and a misspelt phrase needs each of its
    words (or one close to it): "Kirkenas harbor" finds "Kirkenes harbour" only."""
    old = story_with("The Kirkenes harbour reopened.", ago=timedelta(days=3000))
    new = story_with("The Kirkenes airport reopened.")
    assert found(client, "Kirkenas") == [new, old]
    assert found(client, '"Kirkenas harbor"') == [old]
    assert "<mark>Kirkenes</mark>" in snippets(search_page(client, '"Kirkenas harbor"'))[0]


@postgresql_only
def test_snippets_find_the_match_however_far_into_the_story():
    """The snippet is cut from a window of the text around the first word that looks like
    the query's; when that word is not a match ("Azerbaijani" for "Azerbaijan") the whole
    text is used, so a match far into the story is still marked."""
    filler = " ".join(["Nothing to see here."] * 80)
    story_with(f"Azerbaijani officials spoke. {filler} Then Azerbaijan answered.")
    story_with(f"{filler} At the end, Azerbaijan answered.")
    snippets = [str(story.snippet) for story in search.search_stories("Azerbaijan")[0:20]]
    assert len(snippets) == 2
    assert all("<mark>Azerbaijan</mark> answered" in snippet for snippet in snippets)


@postgresql_only
def test_typo_matches_are_bounded_too(client, monkeypatch):
    """Only the newest ``TYPO_MAX_RESULTS`` typo matches are ranked; the page says there
    are more."""
    monkeypatch.setattr(search, "TYPO_MAX_RESULTS", 2)
    stories = [story_with("Ferry to Kirkenes.", ago=timedelta(days=n + 1)) for n in range(4)]
    results = search.search_stories("Kirkenas")
    assert results.count() == 2 and results.more
    assert {story.pk for story in results[0:20]} == {story.pk for story in stories[:2]}
    assert "More than 2 stories matching" in main(search_page(client, "Kirkenas"))


@postgresql_only
def test_typo_pages_also_run_a_fixed_number_of_queries(client):
    """With typo matching the query count is higher, but still not per result."""
    story_with("Report from Kirkenes.")
    one = count_queries(client, "Kirkenas")
    for n in range(6):
        story_with(f"Report {n} from Kirkenes.")
    assert len(search.search_stories("Kirkenas")[0:20]) == 7
    assert count_queries(client, "Kirkenas") == one


@postgresql_only
def test_an_import_is_searchable_once_committed(django_capture_on_commit_callbacks):
    """Importing wire copy refreshes the new story's search fields after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        story = services.import_wire_copy(data=SEED.read_bytes(), publish=True).story
    assert headlines("Pashinyan") == [story.headline]


@postgresql_only
def test_a_service_save_refreshes_the_vector(admin_user, django_capture_on_commit_callbacks):
    """After ``save_story`` a new headline word is found and the old one no longer is."""
    story = story_with("Plain text.", headline="Flamingo count")
    story.headline = "Pelican count"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_story(story=story, expected_version=story.version, user=admin_user)
    assert headlines("pelican") == ["Pelican count"]
    assert headlines("flamingo") == []


@postgresql_only
def test_an_admin_edit_refreshes_the_vector(admin_client, django_capture_on_commit_callbacks):
    """Sections and tags saved by the admin (after the story itself) are in the vector."""
    story = story_with("The lemur was seen.", tags=["Animals"])
    data = story_form_data(
        story, sections=[("", "The aardvark was seen."), ("Sightings", "More.")], tags="Zoology"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:articles_story_change", args=[story.pk]), data)
    assert response.status_code == 302
    assert headlines("aardvark") == [story.headline]
    assert headlines("sightings") == [story.headline]
    assert headlines("zoology") == [story.headline]
    assert headlines("lemur") == []
    assert headlines("animals") == []


@postgresql_only
def test_an_admin_add_is_searchable(admin_client, django_capture_on_commit_callbacks):
    """A story written in the admin is searchable once saved with its sections."""
    data = story_form_data(
        Story(headline="Okapi spotted", slug="okapi-spotted", status=Story.Status.PUBLISHED),
        sections=[("", "In the forest.")],
        published_at_0="2024-01-02",
        published_at_1="10:00:00",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:articles_story_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert headlines("forest") == ["Okapi spotted"]


@postgresql_only
def test_restoring_a_version_refreshes_the_vector(admin_user, django_capture_on_commit_callbacks):
    """Restoring an earlier revision makes its words findable again."""
    story = story_with("Plain text.", headline="Walrus seen")
    first = history.story_versions(story.pk).last()
    story.headline = "Narwhal seen"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_story(story=story, expected_version=story.version, user=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.restore_version(
            story=story, version=first, user=admin_user, expected_version=story.version
        )
    assert headlines("walrus") == ["Walrus seen"]
    assert headlines("narwhal") == []


@postgresql_only
def test_merging_tags_refreshes_the_stories(admin_user, django_capture_on_commit_callbacks):
    """A merged tag's stories are found by the tag they now carry, not the old one."""
    story = story_with("Plain text.", headline="Border news", tags=["Ruritania"])
    target = Tag.objects.create(name="Graustark", slug="graustark")
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_tags(
            target=target, sources=[Tag.objects.get(name="Ruritania")], user=admin_user
        )
    assert headlines("Graustark") == ["Border news"]
    assert headlines("Ruritania") == []
    assert story.tags.names()[0] == "Graustark"


@postgresql_only
def test_a_refresh_does_not_count_as_an_edit():
    """Recomputing the search fields leaves the story's updated time alone."""
    story = story_with("Text.")
    before = Story.objects.get(pk=story.pk).updated_at
    search.refresh_stories([story.pk])
    assert Story.objects.get(pk=story.pk).updated_at == before


@postgresql_only
def test_the_demo_command_makes_the_story_searchable(settings):
    """``manage.py demo`` refreshes the search fields after loading the fixture."""
    settings.DEBUG = True
    call_command("demo", "--no-serve", verbosity=0)
    assert headlines("Pashinian") == [Story.objects.get().headline]
