"""The story list's sidebar: publication, lifecycle, tags, dateline place and credit."""

from django.contrib import admin
from django.db.models import Count, Exists, OuterRef, Q
from taggit.models import Tag

from articles.models import Correction, Publication, Story, Take

FILTER_CHOICES = 25
"""How many values a sidebar filter offers: the most used ones, so it stays short."""


class PublicationFilter(admin.SimpleListFilter):
    """Draft, scheduled, embargoed, live or killed: what the desk asks first about a story,
    by the one rule (:meth:`StoryQuerySet.published` and its helpers).

    "Scheduled" is every published story that comes out by itself later, at its time or
    at its embargo; "Embargoed" is every story an embargo still holds, drafts included. A
    story published to come out at its embargo is in both.
    """

    title = "publication"
    parameter_name = "publication"
    methods = {
        Publication.DRAFT: "drafts",
        Publication.SCHEDULED: "scheduled",
        Publication.EMBARGOED: "embargoed",
        Publication.LIVE: "published",
        Publication.KILLED: "killed",
    }

    def lookups(self, request, model_admin):
        return Publication.choices

    def queryset(self, request, queryset):
        method = self.methods.get(self.value())
        return getattr(queryset, method)() if method else queryset


class LifecycleFilter(admin.SimpleListFilter):
    """What happened to a story since its first take: updated (a write-thru came in, or
    readers were told it changed), corrected (a correction or clarification, public or
    not), or a correction prepared and waiting for an editor to publish it.

    Each is an ``EXISTS`` subquery: no join, so no story is listed twice.
    """

    title = "lifecycle"
    parameter_name = "lifecycle"

    def lookups(self, request, model_admin):
        return [
            ("updated", "Updated"),
            ("corrected", "Corrected"),
            ("correction_prepared", "Correction to publish"),
        ]

    def queryset(self, request, queryset):
        corrections = Correction.objects.filter(story=OuterRef("pk"))
        if self.value() == "updated":
            updates = Take.objects.filter(story=OuterRef("pk"), kind=Take.Kind.UPDATE)
            return queryset.filter(Q(revised_at__isnull=False) | Q(Exists(updates)))
        if self.value() == "corrected":
            return queryset.filter(Exists(corrections))
        if self.value() == "correction_prepared":
            return queryset.filter(Exists(corrections.filter(published_at__isnull=True)))
        return queryset


class TagFilter(admin.SimpleListFilter):
    """The most used tags (any tag works in the address: ?tag=<slug>)."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        used = (
            Tag.objects.annotate(stories=Count("articles_taggedstory_items"))
            .filter(stories__gt=0)
            .order_by("-stories", "name")[:FILTER_CHOICES]
        )
        return sorted(((tag.slug, tag.name) for tag in used), key=lambda c: c[1].lower())

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__slug=self.value()).distinct()
        return queryset


class CommonValueFilter(admin.SimpleListFilter):
    """The most frequent values of a field, so the sidebar stays short in a big archive."""

    field = ""

    def lookups(self, request, model_admin):
        values = (
            Story.objects.exclude(**{self.field: ""})
            .values(self.field)
            .annotate(n=Count("pk"))
            .order_by("-n", self.field)[:FILTER_CHOICES]
        )
        return sorted((row[self.field], row[self.field]) for row in values)

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class PlaceFilter(CommonValueFilter):
    title = "dateline place"
    parameter_name = "dateline_place"
    field = "dateline_place"


class CreditFilter(CommonValueFilter):
    title = "credit"
    parameter_name = "dateline_credit"
    field = "dateline_credit"
