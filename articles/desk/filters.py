"""The story list's sidebar: publication, tags, dateline place and credit."""

from django.contrib import admin
from django.db.models import Count
from taggit.models import Tag

from articles.models import Publication, Story

FILTER_CHOICES = 25
"""How many values a sidebar filter offers: the most used ones, so it stays short."""


class PublicationFilter(admin.SimpleListFilter):
    """Draft, scheduled or live: what the desk asks first about a story, by the one rule
    (:meth:`StoryQuerySet.published` and its helpers)."""

    title = "publication"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return Publication.choices

    def queryset(self, request, queryset):
        if self.value() == Publication.DRAFT:
            return queryset.drafts()
        if self.value() == Publication.SCHEDULED:
            return queryset.scheduled()
        if self.value() == Publication.LIVE:
            return queryset.published()
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
