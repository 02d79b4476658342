"""A story's life after its first take: the agency's takes, the corrections readers are
told of, and the addresses it had before (``articles.models`` re-exports them)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone


class TakeManager(models.Manager):
    def get_by_natural_key(self, checksum: str) -> Take:
        return self.get(checksum=checksum)


class Take(models.Model):
    """One piece of agency copy as it arrived, kept verbatim: the first take, write-thrus,
    corrections, refiles and kills. The story shows the text of the latest that had one."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original"
        UPDATE = "update", "Update"
        CORRECTION = "correction", "Correction"
        REFILE = "refile", "Refile"
        KILL = "kill", "Kill"

    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="takes")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ORIGINAL)
    revision = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The agency's update number: 2 for UPDATE 2-."
    )
    headline = models.CharField(
        max_length=300, help_text="The take's headline, without the agency's prefixes."
    )
    note = models.TextField(
        blank=True, help_text="The agency's editors' note: (Adds death toll in paragraph 2)."
    )
    embargo = models.DateTimeField(null=True, blank=True)
    source_text = models.TextField(help_text="The copy exactly as it arrived; never edited.")
    checksum = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the copy: no take is applied twice."
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TakeManager()

    class Meta:
        ordering = ["story", "received_at", "pk"]
        indexes = [models.Index(fields=["headline"], name="articles_take_headline_idx")]

    def __str__(self) -> str:
        label = self.get_kind_display()
        if self.revision:
            label += f" {self.revision}"
        return f"{label}: {self.headline}"

    def natural_key(self) -> tuple[str]:
        return (self.checksum,)

    natural_key.dependencies = ["articles.story"]


class CorrectionQuerySet(models.QuerySet):
    def public(self, at=None) -> CorrectionQuerySet:
        """Corrections readers see: made public, on a story readers may see (the one rule,
        ``Story.objects.published()``)."""
        from articles.models import Story

        return self.filter(
            published_at__isnull=False, story__in=Story.objects.published(at=at)
        ).order_by("-published_at", "-pk")


class Correction(models.Model):
    """What readers are told was wrong (a correction) or unclear (a clarification), shown
    at the foot of the story and on ``/corrections/``. Tied to the story's version it
    explains; readers see it once it is published, like a story."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        CLARIFICATION = "clarification", "Clarification"

    story = models.ForeignKey(
        "articles.Story", on_delete=models.CASCADE, related_name="corrections"
    )
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(help_text="What was wrong and what is right, for readers.")
    story_version = models.PositiveIntegerField(
        help_text="The version of the story this explains: the one that put it right."
    )
    take = models.OneToOneField(
        Take, null=True, blank=True, on_delete=models.SET_NULL, related_name="correction"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When readers were told; empty while it is prepared."
    )

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(
                fields=["-published_at"],
                condition=Q(published_at__isnull=False),
                name="articles_correction_public_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class StoryAddress(models.Model):
    """An address a published story had before its slug or date changed: it answers 301
    to the story's address now. One row per old address, the newest owner's."""

    story = models.ForeignKey(
        "articles.Story", on_delete=models.CASCADE, related_name="old_addresses"
    )
    day = models.DateField()
    slug = models.SlugField(max_length=120)
    moved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "old address"
        verbose_name_plural = "old addresses"
        constraints = [models.UniqueConstraint(fields=["day", "slug"], name="unique_old_address")]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        return reverse(
            "articles:story", args=[self.day.year, self.day.month, self.day.day, self.slug]
        )


def _day(published_at) -> date | None:
    return timezone.localtime(published_at).date() if published_at else None


@receiver(post_save, sender="articles.Story")
def remember_old_address(sender, instance, created: bool, raw: bool, **kwargs) -> None:
    """A live story whose slug or date changed keeps its old address, answering 301 to the
    new one, whoever saved it; an address a story has now is nobody's old one."""
    old = getattr(instance, "stored_address", None)
    new = instance.address()
    instance.stored_address = new
    if created or raw or old is None or new is None:
        return
    (old_slug, old_listing), (new_slug, new_listing) = old, new
    old_day, new_day = _day(old_listing[1]), _day(new_listing[1])
    if (old_day, old_slug) == (new_day, new_slug) or old_day is None:
        return
    if new_day is not None:
        StoryAddress.objects.filter(day=new_day, slug=new_slug).delete()
    if was_live(old_listing, now=timezone.now()):
        StoryAddress.objects.update_or_create(
            day=old_day, slug=old_slug, defaults={"story": instance}
        )


def was_live(listing: tuple | None, *, now) -> bool:
    """Whether a story with this listing (``Story.listing()``) was public at ``now``."""
    if listing is None:
        return False
    status, published_at, _place, embargo = listing
    return (
        status == "published"
        and published_at is not None
        and published_at <= now
        and (embargo is None or embargo <= now)
    )


def supersedes(take: Take, *, revision: int | None, at: datetime) -> bool:
    """Whether ``take`` is newer than a take numbered ``revision`` filed at ``at``: later;
    or, filed the same minute (the wire's stamps go no finer), with a higher update number
    when both have one. Otherwise the take that came last is the latest."""
    if take.received_at != at:
        return take.received_at > at
    return take.revision is not None and revision is not None and take.revision > revision
