"""The story admin: where the desk edits, publishes, schedules, embargoes and kills stories.

Every write goes through ``articles.services`` (``create_story``, ``save_story``,
``save_sections``, the publishing workflows), so the admin, the commands and the tests share
one set of rules: the version check that stops lost updates, the publish permission, a
revision for each save, and the search refresh and cache purge that follow it.
"""

import reversion
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from reversion.admin import VersionAdmin
from taggit.models import Tag

from articles import search, services
from articles.desk.corrections import CorrectionViews
from articles.desk.filters import (
    CreditFilter,
    LifecycleFilter,
    PlaceFilter,
    PublicationFilter,
    TagFilter,
)
from articles.desk.forms import (
    PUBLICATION_MARKS,
    ScheduleForm,
    SectionForm,
    SectionFormSet,
    StoryAdminForm,
    error_text,
)
from articles.desk.history import HistoryViews
from articles.desk.kills import KillViews
from articles.desk.wire_desk import wire_desk_view
from articles.models import Section, Story
from articles.wire import MAX_SECTIONS

PUBLISH_BUTTONS = tuple(PUBLICATION_MARKS)


class SectionInline(admin.StackedInline):
    """The story's sections. A story at the limit still posts fewer fields than Django's
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (six at most a section: tests/desk/test_admin_limits.py)."""

    model = Section
    form = SectionForm
    formset = SectionFormSet
    extra = 0
    max_num = MAX_SECTIONS
    ordering = ["position"]

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_max=True, **kwargs)


@admin.register(Story)
class StoryAdmin(HistoryViews, CorrectionViews, KillViews, VersionAdmin):
    form = StoryAdminForm
    list_display = [
        "headline",
        "publication",
        "embargo_until",
        "dateline_place",
        "dateline_credit",
        "published_at",
        "tag_list",
    ]
    list_filter = [
        PublicationFilter,
        LifecycleFilter,
        ("published_at", admin.DateFieldListFilter),
        TagFilter,
        PlaceFilter,
        CreditFilter,
    ]
    # Only to show the search box: get_search_results searches the index instead.
    search_fields = ["headline"]
    search_help_text = (
        "Finds words in the headline, standfirst, subheadings and paragraphs as the site "
        "search does, drafts included, and any part of the headline or dateline."
    )
    date_hierarchy = "published_at"
    show_full_result_count = False
    prepopulated_fields = {"slug": ["headline"]}
    readonly_fields = ["source_copy", "created_at", "updated_at", "version"]
    inlines = [SectionInline]
    actions = ["publish_now", "unpublish", "schedule", "kill", "reinstate"]
    change_form_template = "admin/articles/story/change_form.html"
    change_list_template = "admin/articles/story/change_list.html"
    object_history_template = "admin/articles/story/object_history.html"
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "byline", "tags"]}),
        ("Dateline", {"fields": ["dateline_place", "dateline_date", "dateline_credit"]}),
        ("Publishing", {"fields": ["status", "published_at", "embargo", "expected_version"]}),
        (
            "Wire copy",
            {
                "classes": ["collapse"],
                "fields": ["source_copy", "created_at", "updated_at", "version"],
            },
        ),
    ]

    class Media:
        js = ["admin/js/tag-autocomplete.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description="Tags")
    def tag_list(self, story):
        return ", ".join(sorted((tag.name for tag in story.tags.all()), key=str.lower))

    @admin.display(description="Publication", ordering="status")
    def publication(self, story):
        return story.publication.label

    @admin.display(description="Embargoed until", ordering="embargo", empty_value="")
    def embargo_until(self, story):
        """The embargo while it still holds the story (a passed one no longer matters)."""
        if not story.is_embargoed:
            return None
        return f"{timezone.localtime(story.embargo):%d %b %Y %H:%M}"

    @admin.display(description="Wire copy as received")
    def source_copy(self, story):
        if not story.source_text:
            return "Written in the admin, not imported."
        return format_html('<pre class="wire-copy">{}</pre>', story.source_text)

    def view_on_site(self, story):
        if story.is_public:
            return story.get_absolute_url()
        return reverse("articles:preview", args=[story.pk])

    # Permissions -------------------------------------------------------------------

    def has_publish_permission(self, request):
        return services.can_publish(request.user)

    def has_change_permission(self, request, obj=None):
        """Reporters edit drafts; once a story is published (or killed) only editors
        change it.

        (A reporter's save of a draft published meanwhile gets their text back: see
        ``change_view``.)
        """
        if not super().has_change_permission(request, obj):
            return False
        if obj is not None and obj.status != Story.Status.DRAFT:
            return self.has_publish_permission(request)
        return True

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.can_publish = self.has_publish_permission(request)
        return form

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            fields += ["status", "published_at"]
        elif obj is not None and obj.status == Story.Status.KILLED:
            fields += ["status"]  # a killed story comes back through "Reinstate"
        return fields

    def get_search_results(self, request, queryset, search_term):
        """Stories whose indexed text matches, as the site search reads the query
        (drafts too), or whose headline or dateline contains the term as typed.

        Through the stored search fields, never a join with the sections: no DISTINCT over
        every story's columns, and the same few queries whatever the archive's size.
        """
        term = search.clean_query(search_term)
        if not term:
            return queryset, False
        typed = (
            Q(headline__icontains=term)
            | Q(dateline_place__icontains=term)
            | Q(dateline_credit__icontains=term)
        )
        return queryset.filter(typed | search.matching(term, using=queryset.db)), False

    # Saving ------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if request.method == "POST" and any(name in request.POST for name in PUBLISH_BUTTONS):
            services.require_publisher(request.user)
        return self._validated_again_if_refused(super().add_view, request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            if any(name in request.POST for name in PUBLISH_BUTTONS):
                services.require_publisher(request.user)
            if self.has_change_permission(request):
                story = self.get_object(request, object_id)
                if story is None:
                    return self.deleted_while_editing(request)
                if story.status != Story.Status.DRAFT and not self.has_publish_permission(request):
                    return self.published_while_editing(request, story)
        return self._validated_again_if_refused(
            super().change_view, request, object_id, form_url, extra_context
        )

    def _validated_again_if_refused(self, view, request, *args):
        try:
            return view(request, *args)
        except (services.StaleEdit, ValidationError):
            # Someone saved, or a scheduled time passed, between the form's checks and
            # the save (possible on SQLite). Nothing was written; the form, validated
            # again, now says why and keeps the editor's text.
            return view(request, *args)

    def save_model(self, request, obj, form, change):
        # A plain edit leaves the revision's comment to the admin's change message
        # ("Changed Headline."): see log_change.
        comment = ""
        button = next((name for name in PUBLISH_BUTTONS if name in request.POST), None)
        if button:
            services.require_publisher(request.user)
            comment = PUBLICATION_MARKS[button](obj, form.cleaned_data.get("published_at"))
        if not change:
            services.create_story(story=obj, user=request.user, comment=comment or "Created")
            return
        # The service refuses a published story to a user who may not publish.
        services.save_story(
            story=obj,
            expected_version=form.cleaned_data["expected_version"],
            user=request.user,
            comment=comment,
        )

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        services.save_sections(
            story=form.instance,
            sections=formset.edited_sections(),
            deleted=formset.deleted_objects,
            user=request.user,
        )

    def log_addition(self, request, obj, message):
        return self._keeping_service_comment(super().log_addition, request, obj, message)

    def log_change(self, request, obj, message):
        return self._keeping_service_comment(super().log_change, request, obj, message)

    def _keeping_service_comment(self, log, request, obj, message):
        """Reversion's admin writes its change message into the revision's comment; what
        the service said it did ("Created", "Published"…), if anything, stays instead."""
        said = reversion.get_comment() if reversion.is_active() else ""
        entry = log(request, obj, message)
        if said:
            reversion.set_comment(said)
        return entry

    def delete_model(self, request, obj):
        services.delete_stories(stories=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_stories(stories=list(queryset), user=request.user)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_publish"] = self.has_publish_permission(request) and (
            add or self.has_change_permission(request, obj)
        )
        if obj is not None:
            context["preview_url"] = reverse("articles:preview", args=[obj.pk])
            context["may_kill"] = self.has_publish_permission(request)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request, obj):
        for name, verb in (("_publish", "published"), ("_unpublish", "unpublished")):
            if name in request.POST:
                self.message_user(request, f"“{obj}” is {verb}.", messages.SUCCESS)
        if "_schedule" in request.POST or "_publish_at_embargo" in request.POST:
            if obj.is_public:
                self.message_user(request, f"“{obj}” is published.", messages.SUCCESS)
            else:
                when = timezone.localtime(max(obj.published_at, obj.embargo or obj.published_at))
                self.message_user(
                    request,
                    f"“{obj}” will appear on {when:%d %B %Y at %H:%M}.",
                    messages.SUCCESS,
                )
        return super().response_change(request, obj)

    # Actions -----------------------------------------------------------------------

    @admin.action(description="Publish selected stories now", permissions=["publish"])
    def publish_now(self, request, queryset):
        self._each(request, queryset, services.publish_story, "published")

    @admin.action(description="Unpublish selected stories", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._each(request, queryset, services.unpublish_story, "unpublished")

    @admin.action(description="Schedule selected stories…", permissions=["publish"])
    def schedule(self, request, queryset):
        form = ScheduleForm(request.POST if "schedule_at" in request.POST else None)
        if form.is_valid():
            at = form.cleaned_data["at"]
            self._each(
                request,
                queryset,
                lambda *, story, user: services.schedule_story(story=story, user=user, at=at),
                f"scheduled for {timezone.localtime(at):%d %B %Y %H:%M}",
            )
            return None
        return TemplateResponse(
            request,
            "admin/articles/story/schedule.html",
            {
                **self.admin_site.each_context(request),
                "title": "Schedule stories",
                "opts": self.model._meta,
                "stories": queryset,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    def _each(self, request, queryset, workflow, verb):
        done = 0
        for story in queryset:
            try:
                workflow(story=story, user=request.user)
            except (ValidationError, services.StaleEdit) as exc:
                self.message_user(request, f"“{story}”: {error_text(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            noun = "story" if done == 1 else "stories"
            self.message_user(request, f"{done} {noun} {verb}.", messages.SUCCESS)

    # Extra views -------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("wire-desk/", view(self.wire_desk), name="articles_story_wire_desk"),
            path("tag-suggestions/", view(self.tag_suggestions), name="articles_tag_suggestions"),
            *self.history_urls(),
            *self.correction_urls(),
            *self.kill_urls(),
            *super().get_urls(),
        ]

    # The wire desk checks a request's size before its body is read, CSRF token included,
    # then checks the token itself (articles/desk/wire_desk.py).
    @method_decorator(csrf_exempt)
    def wire_desk(self, request):
        return wire_desk_view(request, model_admin=self)

    def tag_suggestions(self, request):
        """Tag names starting with ``q``, for the tag field's autocomplete."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        term = request.GET.get("q", "").strip()[:100]
        names = []
        if term:
            names = list(
                Tag.objects.filter(name__istartswith=term)
                .order_by("name")
                .values_list("name", flat=True)[:10]
            )
        return JsonResponse({"tags": names})
