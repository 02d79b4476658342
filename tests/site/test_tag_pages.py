"""Tag pages: one range of the tag-row index, kept right by the database on every write."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.models import Story, TaggedStory
from tests.factories import make_story

pytestmark = pytest.mark.django_db


def copies(story: Story) -> set:
    """What the story's tag rows hold as its publication time, read from the database."""
    return set(
        TaggedStory.objects.filter(content_object=story).values_list(
            "story_published_at", flat=True
        )
    )


def listed(client, slug: str, **params) -> list[str]:
    response = client.get(reverse("articles:tag", args=[slug]), params)
    if response.status_code == 404:
        return []
    return re.findall(r"Tagged story \d\d(?=</a></h2>)", response.content.decode())


def test_the_copy_follows_publication_whoever_writes():
    """Drafts have no copy; publishing, rescheduling and unpublishing, by ``save()`` or by
    ``QuerySet.update()`` (no Python code runs), move every tag row of the story."""
    story = make_story(status=Story.Status.DRAFT, tags=["Harbour", "Ferries"])
    assert copies(story) == {None}
    story.status = Story.Status.PUBLISHED
    story.save()
    assert copies(story) == {story.published_at}
    later = story.published_at + timedelta(days=2)
    Story.objects.filter(pk=story.pk).update(published_at=later)
    assert copies(story) == {later}
    Story.objects.filter(pk=story.pk).update(status=Story.Status.DRAFT)
    assert copies(story) == {None}


def test_tag_rows_written_in_any_way_get_the_story_time():
    """taggit's ``add``, ``bulk_create`` (the importer's way) and a save carrying a wrong
    value all end with the story's own time: the database overwrites what Python sends."""
    story = make_story()
    story.tags.add("Added")
    wrong = timezone.now() - timedelta(days=999)
    tag = Tag.objects.create(name="Bulk", slug="bulk")
    TaggedStory.objects.bulk_create(
        [TaggedStory(content_object=story, tag=tag, story_published_at=wrong)]
    )
    assert copies(story) == {story.published_at}
    row = TaggedStory.objects.get(content_object=story, tag=tag)
    row.story_published_at = wrong
    row.save()
    assert copies(story) == {story.published_at}
    other = make_story(status=Story.Status.DRAFT)
    TaggedStory.objects.filter(pk=row.pk).update(content_object=other)
    assert TaggedStory.objects.get(pk=row.pk).story_published_at is None


def test_tag_page_pages_by_cursor_without_gaps_repeats_or_unpublished_stories(client):
    """Older and newer links walk every published story of the tag once, newest first,
    when several share a time; drafts, scheduled stories and other tags never appear."""
    moment = timezone.now() - timedelta(hours=1)
    for n in range(45):
        make_story(
            headline=f"Tagged story {n:02d}",
            published_at=moment - timedelta(minutes=n // 3),
            tags=["Paged"] if n % 7 else ["Paged", "Other"],
        )
    make_story(headline="Tagged story 98", status=Story.Status.DRAFT, tags=["Paged"])
    make_story(headline="Tagged story 99", ago=-timedelta(hours=1), tags=["Paged"])
    seen, params, pages = [], {}, []
    while params is not None:
        response = client.get(reverse("articles:tag", args=["paged"]), params)
        html = response.content.decode()
        pages.append(html)
        seen += re.findall(r"Tagged story \d\d(?=</a></h2>)", html)
        older = re.search(r'<a href="\?before=([^"]+)" rel="next">', html)
        params = {"before": older.group(1)} if older else None
    assert len(pages) == 3
    expected = [s.headline for s in Story.objects.published().filter(tags__slug="paged")]
    assert seen == expected
    assert sorted(seen) == [f"Tagged story {n:02d}" for n in range(45)]
    newer = re.search(r'<a href="\?after=([^"]+)" rel="prev">', pages[1]).group(1)
    assert listed(client, "paged", after=newer) == expected[:20]


def test_a_scheduled_story_joins_its_tag_page_when_its_time_comes(client):
    """The copy holds the scheduled time; the page shows the story once that time passes."""
    story = make_story(headline="Tagged story 01", ago=-timedelta(hours=1), tags=["Soon"])
    assert listed(client, "soon") == []
    Story.objects.filter(pk=story.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert listed(client, "soon") == ["Tagged story 01"]


def test_tag_page_reads_the_tag_index_not_the_archive(client):
    """The page's query starts at the tag rows' index and orders by their copied time."""
    make_story(tags=["Indexed"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("articles:tag", args=["indexed"])).status_code == 200
    page = next(q["sql"] for q in queries if "story_published_at" in q["sql"])
    assert re.search(r'ORDER BY "articles_taggedstory"."story_published_at" DESC', page)
