"""What only SQLite has: an FTS5 index that its triggers keep current whoever writes, and the
vocabulary that typo tolerance reads."""

import random
import string

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from taggit.models import Tag

from articles.models import Section, Story
from articles.search.sqlite import (
    FTS_TABLE,
    VOCABULARY,
    VOCABULARY_STATE,
    closest_words,
    fts_query,
    read_vocabulary,
    similarity,
)
from tests.factories import make_story
from tests.search.helpers import POSTGRESQL, headlines

pytestmark = pytest.mark.skipif(POSTGRESQL, reason="the FTS5 index is SQLite's")

MIGRATION = "0012_sqlite_full_text_search"


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def indexed(story: Story) -> tuple | None:
    """The story's row of the index: (headline, subheadings, body, keywords)."""
    found = rows(
        f"SELECT headline, subheadings, body, keywords FROM {FTS_TABLE} WHERE rowid = %s",
        [story.pk],
    )
    return found[0] if found else None


def vocabulary() -> set[str]:
    return {term for (term,) in rows(f"SELECT term FROM {VOCABULARY}")}


def assert_index_is_sound() -> None:
    """FTS5's own check of both tables: a delete that did not match what was indexed fails."""
    with connection.cursor() as cursor:
        for table in (FTS_TABLE, f"{FTS_TABLE}_words"):
            cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")


@pytest.mark.django_db
def test_a_new_story_is_indexed_with_its_sections_and_tags():
    """Headline, subheadings, standfirst and paragraphs in reading order, place and tags."""
    story = make_story(
        headline="Truce holds",
        standfirst="Both sides agree.",
        dateline_place="BAKU",
        sections=[("", ["Lead one.", "Lead two."]), ("Reactions", ["Quiet."])],
        tags=["Armenia", "Azerbaijan"],
    )
    assert indexed(story) == (
        "Truce holds",
        "Reactions",
        "Both sides agree.\n\nLead one.\n\nLead two.\n\nQuiet.",
        "BAKU\nArmenia\nAzerbaijan",
    )
    assert_index_is_sound()


@pytest.mark.django_db
def test_save_update_and_delete_in_the_shell_change_what_is_found():
    """No service, no refresh: ``save()``, ``QuerySet.update()`` and ``delete()`` alone."""
    story = make_story(headline="Flamingo count")
    story.headline = "Pelican count"
    story.save()
    assert headlines("pelican") == ["Pelican count"]
    assert headlines("flamingo") == []
    Story.objects.filter(pk=story.pk).update(headline="Cormorant count")
    assert headlines("cormorant") == ["Cormorant count"]
    assert headlines("pelican") == []
    story.delete()
    assert headlines("cormorant") == []
    assert rows(f"SELECT count(*) FROM {FTS_TABLE}") == [(0,)]
    assert "cormorant" not in vocabulary()
    assert_index_is_sound()


@pytest.mark.django_db
def test_sections_edited_added_moved_and_deleted_are_reindexed():
    """Every change to a section re-indexes its story (both stories, when it moves)."""
    first = make_story(sections=[("", ["The lemur was seen."])])
    second = make_story(sections=[("", ["Nothing yet."])])
    Section.objects.filter(story=first).update(body="The aardvark was seen.")
    assert headlines("aardvark") == [first.headline]
    assert headlines("lemur") == []
    Section.objects.create(story=first, position=1, subheading="Sightings", body="Tapir too.")
    assert headlines("sightings") == [first.headline]
    Section.objects.filter(story=first, position=1).update(story=second)
    assert headlines("tapir") == [second.headline]
    Section.objects.filter(story=second, subheading="Sightings").delete()
    assert headlines("tapir") == []
    assert_index_is_sound()


@pytest.mark.django_db
def test_a_renamed_tag_reindexes_its_stories():
    """Renaming a tag (or taking it off a story) changes what finds its stories."""
    story = make_story(tags=["Ruritania"])
    other = make_story(tags=["Ruritania", "Graustark"])
    Tag.objects.filter(name="Ruritania").update(name="Freedonia")
    assert sorted(headlines("Freedonia")) == sorted([story.headline, other.headline])
    assert headlines("Ruritania") == []
    other.tags.remove("Graustark")
    assert headlines("Graustark") == []
    assert_index_is_sound()


@pytest.mark.django_db
def test_a_loaded_fixture_is_indexed_by_the_database(demo_story):
    """``loaddata`` writes rows raw; the triggers index them all the same."""
    assert "Pashinyan" in indexed(demo_story)[2]
    assert {"pashinyan", "karabakh", "truce"} <= vocabulary()


@pytest.mark.django_db
def test_the_vocabulary_holds_words_as_written():
    """Unstemmed, in lower case and without diacritics; a word no story has any longer goes."""
    story = make_story(sections=[("", ["Negotiations in Ålesund."])])
    assert {"negotiations", "alesund"} <= vocabulary()
    Section.objects.filter(story=story).update(body="Talks.")
    assert "negotiations" not in vocabulary()


@pytest.mark.django_db
def test_the_words_kept_between_searches_are_never_stale():
    """A process keeps the words it read until a write changes them, then reads them again."""
    story = make_story(headline="Quokka census")
    assert "\nquokka\n" in read_vocabulary("default")
    assert read_vocabulary("default") is read_vocabulary("default")
    Story.objects.filter(pk=story.pk).update(headline="Wombat census")
    words = read_vocabulary("default")
    assert "\nwombat\n" in words
    assert "\nquokka\n" not in words


@pytest.mark.django_db
def test_migrate_makes_the_index_tables_and_triggers():
    """The index, its vocabulary and a trigger for every write that changes a story's text."""
    tables = {name for (name,) in rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {FTS_TABLE, f"{FTS_TABLE}_words", VOCABULARY, VOCABULARY_STATE} <= tables
    triggers = set(rows("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"))
    on = {table for table, name in triggers if name.startswith(FTS_TABLE)}
    assert on == {"articles_story", "articles_section", "articles_taggedstory", "taggit_tag"}
    assert len([name for _, name in triggers if name.startswith(FTS_TABLE)]) == 12


@pytest.mark.django_db(transaction=True)
def test_migrating_an_existing_database_indexes_its_stories():
    """Stories written before migration 0012 are all found once it has run."""
    call_command("migrate", "articles", "0011", verbosity=0)
    try:
        # The models as they were then: later migrations add columns.
        state = MigrationLoader(connection).project_state(("articles", "0011_section_body_html"))
        old = state.apps
        story = old.get_model("articles", "Story").objects.create(
            headline="Quokka census",
            slug="quokka-census",
            status="published",
            published_at=timezone.now(),
        )
        old.get_model("articles", "Section").objects.create(story=story, body="Counted.")
        tag = old.get_model("taggit", "Tag").objects.create(name="Wildlife", slug="wildlife")
        old.get_model("articles", "TaggedStory").objects.create(content_object=story, tag=tag)
        assert FTS_TABLE not in {name for (name,) in rows("SELECT name FROM sqlite_master")}
    finally:
        call_command("migrate", "articles", verbosity=0)
    assert headlines("quokka") == [story.headline]
    assert headlines("wildlife") == [story.headline]
    assert "quokka" in vocabulary()


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("Pashinyan", '"Pashinyan"'),
        ('"peace deal" -Putin', '("peace deal") NOT ("Putin")'),
        ("Yerevan or Tbilisi Baku", '"Yerevan" OR "Tbilisi" AND "Baku"'),
        ("NEAR(Putin) *", '("NEAR" AND "Putin")'),
        ('-"peace deal" Baku or', '("Baku") NOT ("peace deal")'),
        ('"unclosed phrase', '"unclosed phrase"'),
        ("_ - --", None),
    ],
)
def test_queries_reach_fts5_as_quoted_words(query, expression):
    """Every word is quoted: FTS5 never sees an operator the reader did not mean."""
    assert fts_query(query) == expression


def brute_force(vocabulary: list[str], word: str) -> list[str]:
    scored = sorted((-similarity(word, other), other) for other in vocabulary)
    return [other for score, other in scored if -score >= 0.3][:5]


@given(word=st.text(alphabet="abcdeklmnoprstuy", min_size=4, max_size=12), seed=st.integers())
def test_closest_words_compares_only_words_that_could_be_close(word, seed):
    """Looking only at words that share a trigram of the word's inside or its first or last
    letters finds exactly what comparing every word of the vocabulary finds."""
    rng = random.Random(seed)
    letters = "abcdeklmnoprstuy"
    near = ["".join(rng.choice([c, c, c, *letters]) for c in word) for _ in range(40)]
    far = ["".join(rng.choices(letters, k=rng.randint(1, 12))) for _ in range(200)]
    vocabulary = sorted(set(near + far + [word[:2], word[-2:], word[0] + word[-2:]]))
    text = "\n" + "\n".join(vocabulary) + "\n"
    assert closest_words(text, word) == brute_force(vocabulary, word)


def test_closest_words_finds_the_spelling_of_a_name():
    """ "pashinian" is closest to "pashinyan"; unrelated words are not close at all."""
    vocabulary = "\n" + "\n".join(["pashinyan", "pashinyans", "passing", "aliyev"]) + "\n"
    assert closest_words(vocabulary, "pashinian") == ["pashinyan", "pashinyans"]
    assert closest_words(vocabulary, string.ascii_lowercase[:6]) == []
