"""The tag admin: how often each tag is used, and merging near-duplicates into one.

Replaces taggit's own tag admin, whose merge works on taggit's generic tagged items and
would miss our stories' tags entirely. Merging goes through ``services.merge_tags``, so
stories keep every tag's meaning, get a new version and a revision saying what happened.
"""

from urllib.parse import urlencode

import taggit.admin  # noqa: F401  (registers taggit's admin first, so it can be replaced)
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from taggit.models import Tag

from articles import services
from articles.desk.forms import PublishableTextMixin
from articles.slugs import SLUG, unique_tag_slug

MERGE_TEMPLATE = "admin/taggit/tag/merge.html"

admin.site.unregister(Tag)


class MergeTagsForm(forms.Form):
    """The confirmation step: which of the selected tags stays."""

    confirm_merge = forms.CharField(widget=forms.HiddenInput, initial="1")
    target = forms.ModelChoiceField(
        queryset=Tag.objects.none(),
        label="Tag to keep",
        error_messages={"required": "Choose the tag to keep."},
    )

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = tags


class TagForm(PublishableTextMixin, forms.ModelForm):
    """A tag's name and its address; a slug left blank is made from the name."""

    slug = forms.CharField(
        max_length=100,
        required=False,
        help_text="The tag's address: letters a–z, digits and hyphens. Leave blank to make "
        "it from the name (“Côte d’Ivoire” becomes cote-divoire).",
    )

    class Meta:
        model = Tag
        fields = ["name", "slug"]

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip()
        if slug and not SLUG.match(slug):
            raise forms.ValidationError(
                "Use only letters a–z, digits, hyphens and underscores, or leave it blank."
            )
        return slug

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and cleaned.get("name"):
            cleaned["slug"] = unique_tag_slug(cleaned["name"], exclude_pk=self.instance.pk)
        return cleaned


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagForm
    list_display = ["name", "slug", "story_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]
    actions = ["merge_selected"]

    def save_model(self, request, obj, form, change):
        if change:
            services.save_tag(tag=obj, user=request.user)
        else:
            obj.save()  # a new tag has no stories yet: nothing of theirs to version or refresh

    def delete_model(self, request, obj):
        services.delete_tags(tags=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_tags(tags=list(queryset), user=request.user)

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(story_count=Count("articles_taggedstory_items"))
        )

    @admin.display(description="Stories", ordering="story_count")
    def story_count(self, tag):
        if not tag.story_count:
            return 0
        url = reverse("admin:articles_story_changelist")
        return format_html(
            '<a href="{}?{}">{}</a>', url, urlencode({"tag": tag.slug}), tag.story_count
        )

    @admin.action(description="Merge selected tags into one…", permissions=["delete"])
    def merge_selected(self, request, queryset):
        tags = queryset.order_by("-story_count", "name")
        if len(tags) < 2:
            self.message_user(
                request, "Select at least two tags to merge; nothing was changed.", messages.ERROR
            )
            return None
        form = MergeTagsForm(
            request.POST if "confirm_merge" in request.POST else None,
            tags=tags,
            initial={"target": tags[0].pk},
        )
        if form.is_valid():
            target = form.cleaned_data["target"]
            sources = [tag for tag in tags if tag.pk != target.pk]
            try:
                changed = services.merge_tags(target=target, sources=sources, user=request.user)
            except PermissionDenied as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            merged = f"{len(sources)} tag{'s' if len(sources) != 1 else ''}"
            stories = f"{changed} stor{'ies' if changed != 1 else 'y'}"
            self.message_user(
                request,
                f"Merged {merged} into {target.name}; {stories} updated.",
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            MERGE_TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "title": "Merge tags",
                "opts": self.model._meta,
                "tags": tags,
                "form": form,
                "chosen": str(form["target"].value()),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
