"""Stories, their sections and their tags."""

from __future__ import annotations

import reversion
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from markupsafe import Markup, escape
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase

from articles.queries import RELATED_WINDOW, Publication, StoryQuerySet
from articles.slugs import heading_anchors, place_slug
from articles.wire import Dateline

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length

DESK_ONLY_FIELDS = ("source_text", "search_vector", "search_document")
"""Kept for the desk and for search, never shown to readers: readers' pages do not read them."""


class StoryManager(models.Manager.from_queryset(StoryQuerySet)):
    def get_by_natural_key(self, source_checksum: str) -> Story:
        return self.get(source_checksum=source_checksum)


@reversion.register(follow=["sections", "taggedstory_set"])
class Story(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        KILLED = "killed", "Killed"

    headline = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=120,
        unique_for_date="published_at",
        help_text="The last part of the story's address. Unique for its publication date.",
    )
    standfirst = models.TextField(
        blank=True, help_text="Optional summary shown under the headline and in search results."
    )
    byline = models.CharField(max_length=200, blank=True, help_text="Optional, e.g. Jane Doe.")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        "publication time",
        null=True,
        blank=True,
        db_index=True,
        help_text="Readers see a published story from this time on. A time in the future "
        "schedules it.",
    )
    embargo = models.DateTimeField(
        "embargo",
        null=True,
        blank=True,
        help_text="Not public on any page, feed or list before this time, even when published.",
    )
    revised_at = models.DateTimeField(
        "updated",
        null=True,
        blank=True,
        editable=False,
        help_text="When readers were last told the story changed: an update or correction.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    dateline_place = models.CharField(
        "dateline place", max_length=80, blank=True, help_text="Where it was filed: BAKU."
    )
    place_slug = models.SlugField(
        max_length=80,
        blank=True,
        editable=False,
        db_index=True,
        help_text="The dateline place in an address (baku); kept in step with the place.",
    )
    dateline_date = models.DateField(
        "dateline date", null=True, blank=True, help_text="The date in the dateline."
    )
    dateline_credit = models.CharField(
        "credit", max_length=40, blank=True, help_text="The agency credit: AFP, BSS/AFP."
    )

    source_text = models.TextField(
        blank=True,
        help_text="The wire copy exactly as it arrived. Kept for provenance; never edited.",
    )
    source_checksum = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the source text; the same copy is never imported twice.",
    )

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Goes up by one with every save; a save based on an older version is "
        "refused, so no one overwrites a colleague's changes unseen.",
    )

    # Derived from the words by articles/search/ on PostgreSQL (empty on SQLite, whose
    # full-text index is a table of its own, kept by triggers: migration 0012); fixtures
    # and revisions hold the words only. Their GIN indexes are made by the squashed
    # migration 0001 on PostgreSQL alone: SQLite has no GIN, yet rebuilds tables.
    search_vector = SearchVectorField(null=True, editable=False, serialize=False)
    search_document = models.TextField(default="", editable=False, serialize=False)

    tags = TaggableManager(blank=True, through="TaggedStory")

    objects = StoryManager()

    class Meta:
        verbose_name_plural = "stories"
        ordering = ["-published_at", "-pk"]
        get_latest_by = "published_at"
        permissions = [
            ("publish_story", "Can publish, schedule, unpublish, kill and reinstate stories")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_checksum"],
                condition=~models.Q(source_checksum=""),
                name="unique_story_source",
            )
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args, **kwargs):
        # Derived, but stored: readers browse by place, and that lookup needs an index.
        self.place_slug = place_slug(self.dateline_place)
        if kwargs.get("update_fields") is not None and "dateline_place" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "place_slug"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The public address, dated by publication time; a draft without one has none."""
        if self.published_at is None:
            return ""
        local = timezone.localtime(self.published_at)
        return reverse("articles:story", args=[local.year, local.month, local.day, self.slug])

    LISTING_FIELDS = ("status", "published_at", "place_slug", "embargo")

    @classmethod
    def from_db(cls, db, field_names, values):
        story = super().from_db(db, field_names, values)
        # Per row, so cheap: a list of 50,000 stories (the sitemap) loads each one.
        loaded = set(cls.LISTING_FIELDS).issubset(field_names)
        story.stored_listing = story.listing() if loaded else None
        story.stored_address = (
            (story.slug, story.stored_listing) if loaded and "slug" in field_names else None
        )
        return story

    def address(self) -> tuple[str, tuple] | None:
        """``(slug, listing)``: what the story's address and whether readers see it there
        depend on (None when the instance did not load them). An address that changes
        while live answers 301 (``articles.takes.remember_old_address``)."""
        listing = self.listing()
        if listing is None or "slug" in self.get_deferred_fields():
            return None
        return (self.slug, listing)

    def listing(self) -> tuple | None:
        """Where readers find the story, ``(status, published_at, place_slug, embargo)``:
        what the lists it is in depend on (None when the instance did not load them all).

        ``stored_listing`` holds it as loaded, so that a save can tell what lists it
        changed (``articles.services.effects``)."""
        if set(self.LISTING_FIELDS) & self.get_deferred_fields():
            return None
        return tuple(getattr(self, name) for name in self.LISTING_FIELDS)

    def natural_key(self) -> tuple[str]:
        """Stories from wire copy are known by their copy, so fixtures need no ids."""
        return (self.source_checksum,)

    @property
    def publication(self) -> Publication:
        """Draft, scheduled, embargoed, live or killed, by the rule of
        :meth:`StoryQuerySet.published` (a published story without a time is not live: it
        counts as a draft; one whose time has come but not its embargo is embargoed)."""
        if self.status == self.Status.KILLED:
            return Publication.KILLED
        if self.status != self.Status.PUBLISHED or self.published_at is None:
            return Publication.DRAFT
        now = timezone.now()
        if self.published_at > now:
            return Publication.SCHEDULED
        if self.is_embargoed:
            return Publication.EMBARGOED
        return Publication.LIVE

    @property
    def is_embargoed(self) -> bool:
        """Whether an embargo still keeps the story from readers."""
        return self.embargo is not None and self.embargo > timezone.now()

    @property
    def is_public(self) -> bool:
        return self.publication == Publication.LIVE

    @property
    def summary(self) -> str:
        """The standfirst, or else the first paragraph (sections prefetched); may be ""."""
        if self.standfirst:
            return self.standfirst
        first = next((s for s in self.sections.all() if s.paragraphs), None)
        return first.paragraphs[0] if first else ""

    @property
    def dateline(self) -> Dateline | None:
        """The structured dateline; ``str()`` renders it in wire style."""
        if not self.dateline_place:
            return None
        return Dateline(self.dateline_place, self.dateline_date, self.dateline_credit)

    @property
    def sections_with_anchors(self) -> list[tuple[Section, str]]:
        """Sections in order, each with an ``id`` for its subheading, unique in the story."""
        sections = list(self.sections.all())
        ids = heading_anchors((section.subheading, section.position) for section in sections)
        return list(zip(sections, ids, strict=True))


class SectionManager(models.Manager):
    def get_by_natural_key(self, source_checksum: str, position: int) -> Section:
        return self.get(story__source_checksum=source_checksum, position=position)


@reversion.register()
class Section(models.Model):
    """A run of paragraphs under an optional subheading (blank for the lead)."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    subheading = models.CharField(
        max_length=200, blank=True, help_text="Leave blank for the lead section."
    )
    body = models.TextField(
        "paragraphs", blank=True, help_text="Plain text. Separate paragraphs with a blank line."
    )
    # Rendered at each save (render_body_html), not per reader; fixtures hold the words only.
    body_html = models.TextField(default="", editable=False, serialize=False)

    objects = SectionManager()

    class Meta:
        ordering = ["story", "position"]
        constraints = [
            models.UniqueConstraint(fields=["story", "position"], name="unique_section_position")
        ]

    def __str__(self) -> str:
        return self.subheading or "Lead"

    def save(self, *args, **kwargs):
        if "body" in (kwargs.get("update_fields") or ()):  # render_body_html changes it too
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_html"}
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str, int]:
        return (*self.story.natural_key(), self.position)

    natural_key.dependencies = ["articles.story"]

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs_from_text(self.body)

    @classmethod
    def of_paragraphs(cls, *, story: Story, position: int, subheading: str, paragraphs) -> Section:
        """An unsaved section of these paragraphs, its HTML rendered (for ``bulk_create``)."""
        body = text_from_paragraphs(paragraphs)
        section = cls(story=story, position=position, subheading=subheading, body=body)
        section.render()
        return section

    def render(self) -> None:
        """Fill ``body_html`` from the body, for writers that skip ``save()`` (``bulk_create``)."""
        self.body_html = paragraphs_html(self.body)

    def html_after(self, lead_in: str) -> Markup:
        """The paragraphs, the first one opening with ``lead_in`` (the dateline), escaped."""
        html = self.body_html or "<p></p>\n"
        span = Markup('<span class="dateline">{}</span> ').format(lead_in)
        return Markup("<p>") + span + Markup(html.removeprefix("<p>"))


@receiver(pre_save, sender=Section)
def render_body_html(sender, instance: Section, **kwargs) -> None:
    """Keep ``body_html`` current at every save, ``loaddata``'s raw ones too. ``update()``
    and ``bulk_create`` skip it: their callers use :meth:`Section.render`."""
    instance.render()


class TaggedStoryManager(models.Manager):
    def get_by_natural_key(self, source_checksum: str, tag_name: str) -> TaggedStory:
        return self.get(content_object__source_checksum=source_checksum, tag__name=tag_name)


@reversion.register(follow=["tag"])
class TaggedStory(TaggedItemBase):
    """A story's tag, with a real foreign key (joins and indexes, not a generic relation).

    ``story_published_at`` copies the story's time while it is published (else NULL), so a
    tag page is one range of the index ``(tag, story_published_at, content_object)`` at any
    archive size. Triggers (squashed migration 0001, PostgreSQL and SQLite) keep it whoever
    writes (``save()``, ``bulk_create``, ``update()``, fixtures, SQL by hand), overwriting
    what Python sends. It only finds rows fast: readers' rule stays ``published()``.

    A later migration that makes SQLite rebuild ``articles_story`` or ``articles_taggedstory``
    (adding a non-null field, for one) drops their triggers: it must make them again with SQL
    copied from the squashed migration's ``TRIGGERS``. Whether the copy follows every change:
    ``tests/site/test_tag_pages.py::test_the_copy_follows_publication_whoever_writes``.
    """

    content_object = models.ForeignKey(Story, on_delete=models.CASCADE)
    story_published_at = models.DateTimeField(
        null=True, editable=False, serialize=False, help_text="Kept by database triggers."
    )

    objects = TaggedStoryManager()

    class Meta:
        verbose_name = "story tag"
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_story_tag")
        ]
        indexes = [
            models.Index(
                fields=["tag", "-story_published_at", "-content_object"],
                condition=models.Q(story_published_at__isnull=False),
                name="articles_tag_published_idx",
            )
        ]

    def natural_key(self) -> tuple[str, str]:
        return (*self.content_object.natural_key(), self.tag.name)

    natural_key.dependencies = ["articles.story", "taggit.tag"]


class SearchWord(models.Model):
    """A lexeme of the stories' ``search_vector`` (a stem: "negotiations" is ``negoti``):
    typo tolerance's lexicon, a misspelt word compared with these, never with documents (a
    GIN trigram index, PostgreSQL alone). Added to by ``search.refresh_stories`` (never
    pruned: a stale word finds nothing), rebuilt by ``refresh_all``. Empty on SQLite, whose
    typo tolerance reads the FTS5 index's vocabulary (``articles/search/sqlite.py``)."""

    word = models.TextField(primary_key=True)

    class Meta:
        verbose_name = "search word"

    def __str__(self) -> str:
        return self.word


def paragraphs_from_text(text: str) -> list[str]:
    """Paragraphs from the admin's text: blank lines separate them, single breaks too."""
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def text_from_paragraphs(paragraphs) -> str:
    return "\n\n".join(paragraphs)


def paragraphs_html(text: str) -> str:
    """The paragraphs of a section's text as HTML: each escaped, in its own ``<p>``."""
    return "".join(f"<p>{escape(paragraph)}</p>\n" for paragraph in paragraphs_from_text(text))


from articles.takes import Correction, StoryAddress, Take  # noqa: E402  (they refer to Story)

__all__ = [
    "DESK_ONLY_FIELDS",
    "RELATED_WINDOW",
    "TAG_MAX_LENGTH",
    "Correction",
    "Publication",
    "SearchWord",
    "Section",
    "Story",
    "StoryAddress",
    "StoryQuerySet",
    "TaggedStory",
    "Take",
]
