"""The story page's one query (articles/story_page.py) and the prepared queries it runs on
(articles/prepared.py): the same story, sections, tags, related stories and latest news as
the ORM reads one by one, for each request's own slug, day and time."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection, connections
from django.db.models import F
from django.utils import timezone

from articles import story_page
from articles.models import Story
from articles.prepared import PreparedQuery
from tests.factories import make_story

pytestmark = pytest.mark.django_db

AWKWARD = 'Quotes " and \\ backslashes, <tags> & “curly” text, émigré, 東京, tab\there'


def load(story: Story) -> story_page.StoryPage | None:
    return story_page.load(story.slug, timezone.localdate(story.published_at))


def listed(stories) -> list[tuple]:
    return [(s.pk, s.headline, s.slug, s.published_at) for s in stories]


def test_the_page_holds_what_the_orm_reads():
    """Every field, section and tag as the ORM has them, awkward text and all, in order."""
    story = make_story(
        headline=AWKWARD,
        standfirst=AWKWARD,
        byline="Jane Doe",
        dateline_place="BAKU",
        dateline_date=date(2023, 9, 21),
        dateline_credit="AFP",
        sections=[("", [AWKWARD, "Second."]), ("Zeta", ["Z."]), ("Alpha", ["A.\nStill A."])],
        tags=["Zebra", "Aardvark", AWKWARD[:90]],
    )
    page = load(story)
    expected = Story.objects.prefetch_related("sections", "tags").get(pk=story.pk)
    for field in Story._meta.concrete_fields:
        if field.attname not in story_page.UNSHOWN_FIELDS:
            assert getattr(page.story, field.attname) == getattr(expected, field.attname)
    assert page.story.get_deferred_fields() == set(story_page.UNSHOWN_FIELDS)
    sections = [(s.pk, s.position, s.subheading, s.body) for s in page.story.sections.all()]
    assert sections == [(s.pk, s.position, s.subheading, s.body) for s in expected.sections.all()]
    # Tags in the order they were given to the story, as the tag rows were made.
    tags = [(t.pk, t.name, t.slug) for t in page.story.tags.all()]
    assert tags == [
        (t.pk, t.name, t.slug)
        for t in expected.tags.order_by(F("articles_taggedstory_items__pk").asc())
    ]
    assert [t.name for t in page.story.tags.all()] == ["Zebra", "Aardvark", AWKWARD[:90]]


def test_related_and_latest_are_the_orms_lists():
    """Most shared tags first, then newest; the sidebar's newest five, drafts and future
    stories in neither."""
    story = make_story(tags=["A", "B", "C"])
    three = make_story(tags=["A", "B", "C"], ago=timedelta(days=3))
    two_old = make_story(tags=["A", "B"], ago=timedelta(days=2))
    two_new = make_story(tags=["B", "C"], ago=timedelta(days=1))
    make_story(tags=["A", "B", "C"], status=Story.Status.DRAFT)
    make_story(tags=["A", "B", "C"], ago=-timedelta(hours=1))
    one = make_story(tags=["C"], ago=timedelta(minutes=30))
    make_story(tags=["Unrelated"])
    for n in range(4):
        make_story(ago=timedelta(minutes=n))
    page = load(story)
    orm_related = Story.objects.published().related_to(story, limit=4)
    assert listed(page.related) == listed(orm_related)
    assert [s.pk for s in page.related] == [three.pk, two_new.pk, two_old.pk, one.pk]
    orm_latest = Story.objects.published()[: story_page.LATEST_STORIES]
    assert listed(page.latest) == listed(orm_latest)
    assert all(s.published_at <= timezone.now() for s in page.latest)


def test_each_request_gets_its_own_story():
    """The SQL is built once; the slug and day of each request still choose the story."""
    first = make_story(headline="First", slug="same-slug", ago=timedelta(days=2))
    second = make_story(headline="Second", slug="same-slug", ago=timedelta(days=1))
    other = make_story(headline="Other")
    assert load(first).story.headline == "First"
    assert load(second).story.headline == "Second"
    assert load(other).story.headline == "Other"
    assert story_page.load("same-slug", date(1999, 1, 1)) is None
    assert story_page.load("no-such-slug", timezone.localdate(first.published_at)) is None


def test_drafts_and_scheduled_stories_are_not_loaded(monkeypatch):
    """The time that counts as now is each request's, not the one the SQL was built at."""
    draft = make_story(status=Story.Status.DRAFT)
    scheduled = make_story(ago=-timedelta(hours=2))
    story_page.STORY_PAGE.compiled()  # built before the scheduled time comes
    assert load(draft) is None
    assert load(scheduled) is None
    later = timezone.now() + timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert load(scheduled).story.pk == scheduled.pk
    assert load(draft) is None


def test_a_story_page_is_one_query(client, django_assert_max_num_queries):
    story = make_story(sections=[("", ["Lead."]), ("Part", ["Text."])], tags=["A", "B"])
    make_story(tags=["A"])
    load(story)  # the SQL is built; building it runs no query either
    with django_assert_max_num_queries(1) as captured:
        page = load(story)
    assert len(captured.captured_queries) == 1
    assert page.related and page.latest


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_postgresql_plans_the_story_page_once_per_connection():
    story = make_story()
    for _ in range(3):
        assert load(story).story.pk == story.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
        )
        prepared = cursor.fetchall()
    assert [runs for statement, runs in prepared if '"articles_story"' in statement] == [3]


def test_a_value_that_does_not_become_a_parameter_is_refused():
    """A value used to shape the query (here a LIMIT) would be frozen into the SQL."""

    def build(slug: str, count: str):
        return Story.objects.published().filter(slug=slug)[: len(count)]

    with pytest.raises(ValueError, match="count did not become a query parameter"):
        PreparedQuery("bad", build, slug=str, count=str).compiled()

    def shifted(now: datetime):
        return Story.objects.published(at=now).filter(updated_at__gte=now - timedelta(days=1))

    def pattern(slug: str):
        return Story.objects.published().filter(headline__icontains=slug)

    with pytest.raises(ValueError, match="did not become a query parameter"):
        PreparedQuery("shifted", shifted, now=datetime).compiled()
    with pytest.raises(ValueError, match="did not become a query parameter"):
        PreparedQuery("pattern", pattern, slug=str).compiled()
    with pytest.raises(TypeError, match="cannot take a int value"):
        PreparedQuery("bad", build, slug=str, count=int).compiled()


def test_the_wrong_values_are_refused():
    prepared = PreparedQuery(
        "by slug",
        lambda slug, now: Story.objects.published(at=now).filter(slug=slug),
        slug=str,
        now=datetime,
    )
    with pytest.raises(TypeError, match="takes slug, now"):
        prepared.first(slug="x")
    story = make_story()
    assert prepared.first(slug=story.slug, now=timezone.now()).pk == story.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db(transaction=True)
def test_a_migration_that_changes_a_column_does_not_break_the_prepared_page():
    """PostgreSQL refuses a statement prepared before a selected column changed type; the
    page prepares it again instead of failing until the connection is replaced."""
    story = make_story()
    for _ in range(3):
        assert load(story).story.pk == story.pk
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("ALTER TABLE articles_story ALTER COLUMN byline TYPE varchar(201)")
        assert load(story).story.pk == story.pk
    finally:
        with other.cursor() as cursor:
            cursor.execute("ALTER TABLE articles_story ALTER COLUMN byline TYPE varchar(200)")
        other.close()
