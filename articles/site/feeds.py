"""RSS 2.0 and Atom feeds: the latest stories, the latest with each tag, and the latest
corrections (Atom)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from taggit.models import Tag

from articles.models import Section, Story
from articles.site import caching, structured_data
from articles.site import keys as surrogate
from articles.site.corrections import public_corrections

FEED_SIZE = 20


def latest(stories):
    sections = Section.objects.only("story_id", "position", "body").order_by("position")
    return (
        stories.for_readers()
        .prefetch_related(Prefetch("sections", sections), "tags")
        .order_by("-published_at", "-pk")[:FEED_SIZE]
    )


class Subject:
    """What a feed is of (its tag, or none for the whole site), and the request it answers,
    which learns the keys of what the feed shows."""

    def __init__(self, request, tag: Tag | None = None):
        self.request = request
        self.tag = tag

    def shows(self, stories) -> list[Story]:
        stories = list(stories)
        caching.shows(self.request, *surrogate.of_stories(stories, tags=True))
        return stories


class LatestStoriesFeed(Feed):
    """The newest published stories, for feed readers and aggregators."""

    def get_object(self, request):
        caching.shows(request, surrogate.LATEST)
        return Subject(request)

    def title(self):
        return f"{settings.SITE_NAME}: latest stories"

    def description(self):
        return f"The latest stories from the {settings.SITE_NAME} desk."

    def link(self):
        return reverse("articles:home")

    def author_name(self):
        # Atom wants an author for the feed when some entries have none; RSS ignores it.
        return settings.SITE_NAME

    def items(self, subject):
        return subject.shows(latest(Story.objects.published()))

    def item_title(self, story):
        return story.headline

    def item_description(self, story):
        # Plain text (the framework escapes it), and whole, unlike the page's description:
        # a feed reader shows it as the story's introduction.
        return story.summary

    def item_link(self, story):
        return story.get_absolute_url()

    # The guid is the story's absolute address (the framework's default), a permalink.
    item_guid_is_permalink = True

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        # When readers were told of an update or correction, as on the page; the entry
        # keeps its id (the story's address) whatever the updates.
        return structured_data.date_modified(story)

    def item_categories(self, story):
        return [tag.name for tag in story.tags.all()]

    def item_author_name(self, story):
        return story.byline or story.dateline_credit or None


class LatestStoriesAtomFeed(LatestStoriesFeed):
    feed_type = Atom1Feed
    subtitle = LatestStoriesFeed.description


class TagFeed(LatestStoriesFeed):
    """The newest published stories with one tag; a tag without any is not found."""

    def get_object(self, request, slug):
        # One query, and a tag only drafts or scheduled stories use looks like no tag at all.
        public = Story.objects.published().filter(tags=OuterRef("pk"))
        tag = get_object_or_404(Tag.objects.filter(Exists(public)), slug=slug)
        caching.shows(request, surrogate.tag(tag.pk), surrogate.tag_stories(tag.pk))
        return Subject(request, tag)

    def title(self, subject):
        return f"{settings.SITE_NAME}: stories tagged {subject.tag.name}"

    def description(self, subject):
        return f"The latest {settings.SITE_NAME} stories tagged {subject.tag.name}."

    def link(self, subject):
        return reverse("articles:tag", args=[subject.tag.slug])

    def items(self, subject):
        return subject.shows(latest(Story.objects.published().filter(tags=subject.tag)))


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed
    subtitle = TagFeed.description


class CorrectionsFeed(Feed):
    """The newest corrections and clarifications (those of ``/corrections/``), in Atom.

    Each entry's id is its place on the story's page (``#correction-<id>``): the story's
    later updates never make it a new entry, and two corrections of a story are two."""

    feed_type = Atom1Feed

    def get_object(self, request):
        caching.shows(request, surrogate.CORRECTIONS)
        return request

    def title(self):
        return f"{settings.SITE_NAME}: corrections and clarifications"

    def subtitle(self):
        return f"Corrections and clarifications to {settings.SITE_NAME} stories."

    def link(self):
        return reverse("articles:corrections")

    def author_name(self):
        return settings.SITE_NAME

    def items(self, request):
        corrections = list(public_corrections()[:FEED_SIZE])
        caching.shows(request, *surrogate.of_stories(each.story for each in corrections))
        return corrections

    def item_title(self, correction):
        return f"{correction.get_kind_display()}: {correction.story.headline}"

    def item_description(self, correction):
        return correction.text

    def item_link(self, correction):
        return f"{correction.story.get_absolute_url()}#correction-{correction.pk}"

    item_guid_is_permalink = True

    def item_pubdate(self, correction):
        return correction.published_at

    def item_updateddate(self, correction):
        return correction.published_at
