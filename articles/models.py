"""Stories, their sections and their tags."""

from __future__ import annotations

from datetime import datetime

import reversion
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from markupsafe import Markup, escape
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase

from articles.slugs import ascii_slug
from articles.wire import Dateline

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length

DESK_ONLY_FIELDS = ("source_text", "search_vector", "search_document")
"""Kept for the desk and for search, never shown to readers: readers' pages do not read them."""


class Publication(models.TextChoices):
    """Where a story stands for readers: the one rule, :meth:`StoryQuerySet.published`,
    told for one story (:attr:`Story.publication`)."""

    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"


class StoryQuerySet(models.QuerySet):
    def published(self, at: datetime | None = None) -> StoryQuerySet:
        """What readers may see: published, with a publication time that has come.

        The one rule for "public": every public page, feed, sitemap, search and API reads
        through it. A published story with a future ``published_at`` is scheduled; it
        appears by itself when the time comes. ``at`` is the moment that counts as now
        (``timezone.now()`` unless given): a query built once and run many times passes it
        as a parameter (``articles/story_page.py``).
        """
        return self.filter(
            status=Story.Status.PUBLISHED,
            published_at__lte=timezone.now() if at is None else at,
        )

    def scheduled(self, at: datetime | None = None) -> StoryQuerySet:
        """Published stories whose time has not come yet: they appear by themselves then."""
        return self.filter(
            status=Story.Status.PUBLISHED,
            published_at__gt=timezone.now() if at is None else at,
        )

    def drafts(self) -> StoryQuerySet:
        """Neither live nor scheduled: drafts, and a published story without a time."""
        return self.filter(~Q(status=Story.Status.PUBLISHED) | Q(published_at__isnull=True))

    def for_readers(self) -> StoryQuerySet:
        """Without the fields readers never see (:data:`DESK_ONLY_FIELDS`)."""
        return self.defer(*DESK_ONLY_FIELDS)

    def related_to(self, story, *, limit: int = 4, candidates: int = 50) -> StoryQuerySet:
        """Stories sharing the most tags with ``story``, newest first among equals.

        The candidates are counted in the tag table alone (its tag index, no join with
        stories), then only the best few are read: the cost follows the size of the tags,
        not of the archive. ``story`` is a story, or ``OuterRef("pk")`` for the story of an
        enclosing query (the story page's one query).
        """
        story_id = story.pk if isinstance(story, Story) else story
        tag_ids = TaggedStory.objects.filter(content_object_id=_deeper(story_id, 2))
        # Only published stories' tag rows (scheduled ones too: the public rule applies to
        # the stories read below), counted by story: an index-only range of the tag-row
        # index (tag, story_published_at, story) per tag, with no visit to the table (3 ms
        # instead of 7 for tags of 1,000 stories each).
        shared_tags = TaggedStory.objects.filter(
            tag_id__in=tag_ids.values("tag_id"), story_published_at__isnull=False
        )
        best = (
            shared_tags.exclude(content_object_id=_deeper(story_id, 1))
            .values("content_object_id")
            .annotate(shared=models.Count("content_object_id"))
            .order_by("-shared", "-content_object_id")
            .values("content_object_id")[:candidates]
        )
        shared = (
            shared_tags.filter(content_object_id=models.OuterRef("pk"))
            .values("content_object_id")
            .annotate(shared=models.Count("content_object_id"))
            .values("shared")
        )
        return (
            self.filter(pk__in=models.Subquery(best))
            .annotate(shared=models.Subquery(shared))
            .order_by("-shared", "-published_at", "-pk")[:limit]
        )


def _deeper(value, levels: int):
    """``value`` as seen from ``levels`` subqueries further in: an ``OuterRef`` reaches out
    one level per subquery, anything else is a plain value."""
    for _ in range(levels if isinstance(value, models.OuterRef) else 0):
        value = models.OuterRef(value)
    return value


class StoryManager(models.Manager.from_queryset(StoryQuerySet)):
    def get_by_natural_key(self, source_checksum: str) -> Story:
        return self.get(source_checksum=source_checksum)


@reversion.register(follow=["sections", "taggedstory_set"])
class Story(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    headline = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=120,
        unique_for_date="published_at",
        help_text="The last part of the story's address. Unique for its publication date.",
    )
    standfirst = models.TextField(
        blank=True,
        help_text="Optional summary shown under the headline and in search results.",
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

    # Derived from the story's words by articles/search.py after every change, on
    # PostgreSQL only (on SQLite they stay empty). Not serialised: fixtures and revisions
    # hold the words, not what is computed from them. Their GIN indexes are made by
    # migration 0005 on PostgreSQL alone: declared here, SQLite would have to build them
    # whenever it rebuilds this table, and it has no GIN.
    search_vector = SearchVectorField(null=True, editable=False, serialize=False)
    search_document = models.TextField(default="", editable=False, serialize=False)

    tags = TaggableManager(blank=True, through="TaggedStory")

    objects = StoryManager()

    class Meta:
        verbose_name_plural = "stories"
        ordering = ["-published_at", "-pk"]
        get_latest_by = "published_at"
        permissions = [("publish_story", "Can publish, schedule and unpublish stories")]
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
        self.place_slug = ascii_slug(self.dateline_place, fallback="", max_length=80)
        if kwargs.get("update_fields") is not None and "dateline_place" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "place_slug"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The public address, dated by publication time; a draft without one has none."""
        if self.published_at is None:
            return ""
        local = timezone.localtime(self.published_at)
        return reverse("articles:story", args=[local.year, local.month, local.day, self.slug])

    def natural_key(self) -> tuple[str]:
        """Stories from wire copy are known by their copy, so fixtures need no ids."""
        return (self.source_checksum,)

    @property
    def publication(self) -> Publication:
        """Draft, scheduled or live, by the rule of :meth:`StoryQuerySet.published` (a
        published story without a time is not live: it counts as a draft)."""
        if self.status != self.Status.PUBLISHED or self.published_at is None:
            return Publication.DRAFT
        if self.published_at > timezone.now():
            return Publication.SCHEDULED
        return Publication.LIVE

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
        seen: set[str] = set()
        result = []
        for section in self.sections.all():
            anchor = ""
            if section.subheading:
                base = slugify(section.subheading) or f"section-{section.position}"
                anchor, n = base, 2
                while anchor in seen:
                    anchor, n = f"{base}-{n}", n + 1
                seen.add(anchor)
            result.append((section, anchor))
        return result


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
        "paragraphs",
        blank=True,
        help_text="Plain text. Separate paragraphs with a blank line.",
    )
    # Derived from the body whenever a section is saved (render_body_html, below), so a
    # story page does not render its paragraphs again for every reader. Not serialised:
    # fixtures and revisions hold the words.
    body_html = models.TextField(default="", editable=False, serialize=False)

    objects = SectionManager()

    class Meta:
        ordering = ["story", "position"]
        constraints = [
            models.UniqueConstraint(fields=["story", "position"], name="unique_section_position")
        ]

    def __str__(self) -> str:
        return self.subheading or "Lead"

    def natural_key(self) -> tuple[str, int]:
        return (*self.story.natural_key(), self.position)

    natural_key.dependencies = ["articles.story"]

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs_from_text(self.body)

    @classmethod
    def of_paragraphs(cls, *, story: Story, position: int, subheading: str, paragraphs) -> Section:
        """An unsaved section holding these paragraphs, its HTML rendered (ready for
        ``bulk_create``)."""
        section = cls(
            story=story,
            position=position,
            subheading=subheading,
            body=text_from_paragraphs(paragraphs),
        )
        section.render()
        return section

    def render(self) -> None:
        """Fill ``body_html`` from the body: for writers that skip ``save()``
        (``bulk_create``); every save does it by itself."""
        self.body_html = paragraphs_html(self.body)

    def html_after(self, lead_in: str) -> Markup:
        """The paragraphs, the first one opening with ``lead_in`` (the dateline), escaped."""
        html = self.body_html or paragraphs_html(self.body)
        span = Markup('<span class="dateline">{}</span> ').format(lead_in)
        if not html.startswith("<p>"):
            return Markup("<p>{}</p>\n").format(span) + Markup(html)
        return Markup("<p>") + span + Markup(html[len("<p>") :])


@receiver(pre_save, sender=Section)
def render_body_html(sender, instance: Section, **kwargs) -> None:
    """Keep ``body_html`` current however a section is saved: the desk, the services, the
    shell, ``loaddata`` (raw saves too). ``QuerySet.update()`` and ``bulk_create`` skip
    it: their callers use :meth:`Section.render`."""
    instance.render()


class TaggedStoryManager(models.Manager):
    def get_by_natural_key(self, source_checksum: str, tag_name: str) -> TaggedStory:
        return self.get(content_object__source_checksum=source_checksum, tag__name=tag_name)


@reversion.register(follow=["tag"])
class TaggedStory(TaggedItemBase):
    """A story's tag, with a real foreign key (joins and indexes, not a generic relation).

    ``story_published_at`` copies the story's ``published_at`` while the story is published
    (NULL while it is a draft), so that a tag page is one range of the index that starts at
    the tag, ``(tag, story_published_at DESC, content_object DESC)``, however large the
    archive and however rare or old the tag. The database keeps it, not Python: triggers
    made by migration 0009 (PostgreSQL and SQLite) fill it on every insert or update of a
    tag row, and copy a story's status and time to its tag rows whenever they change. So
    every writer is covered: ``save()``, ``bulk_create``, taggit, ``QuerySet.update()``,
    fixtures, restored revisions, SQL by hand. Whatever Python puts in it is overwritten.
    It only finds rows fast: what readers see is still decided by
    ``Story.objects.published()`` on the story itself (see ``views.tag_detail``).

    A later migration that makes SQLite rebuild one of the two tables drops its triggers:
    it must run ``articles.models.install_tag_triggers`` again (tests/test_tags.py checks
    that the copy follows every kind of change).
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
    """A word of the archive, as the stored search vectors hold it: typo tolerance's lexicon.

    PostgreSQL's documented way to suggest spellings: the distinct lexemes of the stories'
    ``search_vector`` (English stems, so "negotiations" is ``negoti``), with a GIN trigram
    index made by migration 0007 on PostgreSQL alone. A misspelt query word is compared
    with these few thousand words, never with whole documents. Kept by
    ``articles.search.refresh_stories`` (words are added, never removed between rebuilds:
    a word no story has any longer finds nothing) and rebuilt by ``refresh_all``. It holds
    the words of drafts too; readers never see it, only the published stories it helps find.
    Empty on SQLite, whose search has no typo tolerance.
    """

    word = models.TextField(primary_key=True)

    class Meta:
        verbose_name = "search word"

    def __str__(self) -> str:
        return self.word


# The triggers that keep TaggedStory.story_published_at (see its docstring). PostgreSQL sets
# the new row's copy before it is written; SQLite, which cannot, updates the row just
# written (its recursive triggers are off, so that update fires no trigger again).
PUBLISHED_TIME = "CASE WHEN {story}.status = 'published' THEN {story}.published_at END"
STORY_TIME = PUBLISHED_TIME.format(story="s")
NEW_TIME = PUBLISHED_TIME.format(story="NEW")
TAG_TRIGGERS = {
    "postgresql": [
        f"""
        CREATE OR REPLACE FUNCTION articles_taggedstory_copy_time() RETURNS trigger AS $$
        BEGIN
            NEW.story_published_at := (
                SELECT {STORY_TIME}
                FROM articles_story s WHERE s.id = NEW.content_object_id
            );
            RETURN NEW;
        END $$ LANGUAGE plpgsql
        """,
        """
        CREATE OR REPLACE TRIGGER articles_taggedstory_copy_time
        BEFORE INSERT OR UPDATE ON articles_taggedstory
        FOR EACH ROW EXECUTE FUNCTION articles_taggedstory_copy_time()
        """,
        f"""
        CREATE OR REPLACE FUNCTION articles_story_copy_time() RETURNS trigger AS $$
        BEGIN
            UPDATE articles_taggedstory SET story_published_at = {NEW_TIME}
            WHERE content_object_id = NEW.id;
            RETURN NULL;
        END $$ LANGUAGE plpgsql
        """,
        """
        CREATE OR REPLACE TRIGGER articles_story_copy_time_insert
        AFTER INSERT ON articles_story
        FOR EACH ROW EXECUTE FUNCTION articles_story_copy_time()
        """,
        """
        CREATE OR REPLACE TRIGGER articles_story_copy_time_update
        AFTER UPDATE OF status, published_at ON articles_story
        FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.published_at IS DISTINCT FROM NEW.published_at)
        EXECUTE FUNCTION articles_story_copy_time()
        """,
    ],
    "sqlite": [
        *(
            f"""
        CREATE TRIGGER IF NOT EXISTS articles_taggedstory_copy_time_{event.lower()}
        AFTER {event} ON articles_taggedstory
        BEGIN
            UPDATE articles_taggedstory SET story_published_at = (
                SELECT {STORY_TIME}
                FROM articles_story s WHERE s.id = NEW.content_object_id
            ) WHERE id = NEW.id;
        END
        """
            for event in ("INSERT", "UPDATE")
        ),
        f"""
        CREATE TRIGGER IF NOT EXISTS articles_story_copy_time_insert
        AFTER INSERT ON articles_story
        BEGIN
            UPDATE articles_taggedstory SET story_published_at = {NEW_TIME}
            WHERE content_object_id = NEW.id;
        END
        """,
        f"""
        CREATE TRIGGER IF NOT EXISTS articles_story_copy_time_update
        AFTER UPDATE OF status, published_at ON articles_story
        WHEN OLD.status IS NOT NEW.status OR OLD.published_at IS NOT NEW.published_at
        BEGIN
            UPDATE articles_taggedstory SET story_published_at = {NEW_TIME}
            WHERE content_object_id = NEW.id;
        END
        """,
    ],
}
TAG_TRIGGER_NAMES = {
    "postgresql": [
        ("articles_taggedstory_copy_time", "articles_taggedstory"),
        ("articles_story_copy_time_insert", "articles_story"),
        ("articles_story_copy_time_update", "articles_story"),
    ],
    "sqlite": [
        ("articles_taggedstory_copy_time_insert", "articles_taggedstory"),
        ("articles_taggedstory_copy_time_update", "articles_taggedstory"),
        ("articles_story_copy_time_insert", "articles_story"),
        ("articles_story_copy_time_update", "articles_story"),
    ],
}


def install_tag_triggers(schema_editor) -> None:
    """Make (or remake) the triggers and bring every tag row's copy up to date."""
    vendor = schema_editor.connection.vendor
    for statement in TAG_TRIGGERS[vendor]:
        schema_editor.execute(statement)
    schema_editor.execute(
        "UPDATE articles_taggedstory SET story_published_at = ("
        f"SELECT {STORY_TIME} FROM articles_story s "
        "WHERE s.id = articles_taggedstory.content_object_id)"
    )


def remove_tag_triggers(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for name, table in TAG_TRIGGER_NAMES[vendor]:
        on_table = f" ON {table}" if vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on_table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS articles_taggedstory_copy_time()")
        schema_editor.execute("DROP FUNCTION IF EXISTS articles_story_copy_time()")


def paragraphs_from_text(text: str) -> list[str]:
    """Paragraphs from the admin's text: blank lines separate them, single breaks too."""
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def text_from_paragraphs(paragraphs) -> str:
    return "\n\n".join(paragraphs)


def paragraphs_html(text: str) -> str:
    """The paragraphs of a section's text as HTML: each escaped, in its own ``<p>``."""
    return "".join(f"<p>{escape(paragraph)}</p>\n" for paragraph in paragraphs_from_text(text))
