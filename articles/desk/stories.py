"""The story admin: where the desk edits, publishes and schedules stories.

Every change goes through ``articles.services`` so the admin, the commands and the tests
share one set of rules: the version check that stops lost updates, the publish
permission, and a revision for each save.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from reversion.admin import VersionAdmin
from reversion.models import Version
from taggit.models import Tag

from articles import search, services
from articles.desk.forms import PublishableTextMixin, TagNamesField
from articles.models import Section, Story
from articles.services import history
from articles.site import caching
from articles.wire import MAX_SECTIONS

POSITION_PARKING = 1000

PUBLISH_BUTTONS = ("_publish", "_unpublish", "_schedule")
PUBLICATION_BUTTONS = {
    "_publish": services.mark_published,
    "_unpublish": services.mark_unpublished,
}


class PublicationFilter(admin.SimpleListFilter):
    """Draft, scheduled or live: what the desk asks first about a story."""

    title = "publication"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("scheduled", "Scheduled"), ("live", "Live")]

    def queryset(self, request, queryset):
        now = timezone.now()
        published = Q(status=Story.Status.PUBLISHED)
        if self.value() == "draft":
            return queryset.filter(status=Story.Status.DRAFT)
        if self.value() == "scheduled":
            return queryset.filter(published, published_at__gt=now)
        if self.value() == "live":
            return queryset.filter(published, published_at__lte=now)
        return queryset


FILTER_CHOICES = 25


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


class SectionForm(PublishableTextMixin, forms.ModelForm):
    position = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=999,
        help_text="Sections appear in this order. Leave blank to put a new one last.",
    )

    class Meta:
        model = Section
        fields = ["position", "subheading", "body"]


class SectionFormSet(BaseInlineFormSet):
    """At most ``MAX_SECTIONS`` sections, said in the desk's words rather than "forms"."""

    default_error_messages = {
        **BaseInlineFormSet.default_error_messages,
        "too_many_forms": "A story has at most %(num)d sections: remove some, or merge them.",
    }


class SectionInline(admin.StackedInline):
    """The story's sections. A story at the limit still posts fewer fields than Django's
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (six at most a section: tests/test_admin_limits.py)."""

    model = Section
    form = SectionForm
    formset = SectionFormSet
    extra = 0
    max_num = MAX_SECTIONS
    ordering = ["position"]

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_max=True, **kwargs)


class StoryAdminForm(PublishableTextMixin, forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tags = TagNamesField(required=False, help_text="Separated by commas.")
    can_publish = False  # set per request by StoryAdmin.get_form

    class Meta:
        model = Story
        fields = [
            "headline",
            "slug",
            "standfirst",
            "byline",
            "tags",
            "dateline_place",
            "dateline_date",
            "dateline_credit",
            "status",
            "published_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        if "tags" in self.fields:
            self.fields["tags"].widget.attrs.update(
                {
                    "data-suggest-url": reverse("admin:articles_tag_suggestions"),
                    "autocomplete": "off",
                }
            )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            # Inside the admin's transaction: on PostgreSQL the row stays locked until
            # this save commits, so a second editor's save waits, then sees the change.
            version, status = (
                Story.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", "status")
                .get()
            )
            expected = cleaned.get("expected_version")
            if expected != version:
                raise ValidationError(conflict_message(self.instance.pk, expected))
            if status == Story.Status.PUBLISHED and not self.can_publish:
                raise ValidationError(
                    "This story is published, so only editors can change it now. Your "
                    "changes are not saved; they are still in the form below to copy."
                )
        if (
            cleaned.get("status") == Story.Status.PUBLISHED
            and cleaned.get("published_at") is None
            and "_publish" not in self.data
        ):
            self.add_error(
                "published_at",
                "A published story needs a publication time: give one, or use "
                "“Save and publish now”.",
            )
        if "_schedule" in self.data and "published_at" in self.fields:
            at = cleaned.get("published_at")
            if at is None or at <= timezone.now():
                self.add_error(
                    "published_at", "To schedule a story, give a publication time in the future."
                )
        return cleaned


def last_saved_by(story_pk: int) -> tuple[str, str]:
    """Who saved the story last, and " at HH:MM" (or "Someone", "")."""
    latest = history.story_versions(story_pk).first()
    if latest is None:
        return "Someone", ""
    user = latest.revision.user
    who = (user.get_full_name() or user.get_username()) if user else "Someone"
    return who, f" at {timezone.localtime(latest.revision.date_created):%H:%M}"


def conflict_message(story_pk: int, expected: int | None) -> str:
    """Who saved the story since the editor opened it, what they changed, what to do."""
    opened = history.version_for(story_pk, expected) if expected else None
    current = history.snapshot_of_story(Story.objects.get(pk=story_pk))
    who, when = last_saved_by(story_pk)
    changed = "the story"
    compare_url = reverse("admin:articles_story_history", args=[story_pk])
    if opened is not None:
        changed = history.summary(history.compare(history.snapshot_of_version(opened), current))
        compare_url = reverse("admin:articles_story_compare", args=[story_pk, opened.pk])
    return format_html(
        "{} saved this story{} after you opened it and changed {}. "
        "Your changes are not saved yet; they are still in the form below. "
        '<a href="{}">See what changed</a>, or '
        '<a href="{}" target="_blank" rel="noopener">open the latest version</a> '
        "in a new tab and carry your changes across.",
        who,
        when,
        changed,
        compare_url,
        reverse("admin:articles_story_change", args=[story_pk]),
    )


@admin.register(Story)
class StoryAdmin(VersionAdmin):
    form = StoryAdminForm
    list_display = [
        "headline",
        "publication",
        "dateline_place",
        "dateline_credit",
        "published_at",
        "tag_list",
    ]
    list_filter = [
        PublicationFilter,
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
    actions = ["publish_now", "unpublish", "schedule"]
    change_form_template = "admin/articles/story/change_form.html"
    change_list_template = "admin/articles/story/change_list.html"
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "byline", "tags"]}),
        ("Dateline", {"fields": ["dateline_place", "dateline_date", "dateline_credit"]}),
        ("Publishing", {"fields": ["status", "published_at", "expected_version"]}),
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
        if story.status == Story.Status.DRAFT:
            return "Draft"
        if story.is_public:
            return "Live"
        return "Scheduled" if story.published_at else "Published, no time"

    @admin.display(description="Wire copy as received")
    def source_copy(self, story):
        if not story.source_text:
            return "Written in the admin, not imported."
        return format_html('<pre class="wire-copy">{}</pre>', story.source_text)

    # Permissions -------------------------------------------------------------------

    def has_publish_permission(self, request):
        return services.can_publish(request.user)

    def has_change_permission(self, request, obj=None):
        """Reporters edit drafts; once a story is published only editors change it.

        (A reporter's save of a draft published meanwhile gets their text back: see
        ``changeform_view``.)
        """
        if not super().has_change_permission(request, obj):
            return False
        if obj is not None and obj.status == Story.Status.PUBLISHED:
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

    def view_on_site(self, story):
        if story.is_public:
            return story.get_absolute_url()
        return reverse("articles:preview", args=[story.pk])

    # Saving ------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        comment = "Edited" if change else "Created"
        button = next((name for name in PUBLISH_BUTTONS if name in request.POST), None)
        if button:
            services.require_publisher(request.user)
            if button == "_schedule":
                comment = services.mark_scheduled(obj, at=form.cleaned_data.get("published_at"))
            else:
                comment = PUBLICATION_BUTTONS[button](obj)
        if not change:
            obj.save()
            return
        # The service refuses a published story to a user who may not publish.
        services.save_story(
            story=obj,
            expected_version=form.cleaned_data["expected_version"],
            user=request.user,
            comment=comment,
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Section:
            return super().save_formset(request, form, formset, change)
        story = form.instance
        formset.save(commit=False)
        for section in formset.deleted_objects:
            section.delete()
        kept = [
            (f.cleaned_data.get("position"), index, f.instance)
            for index, f in enumerate(formset.forms)
            if f not in formset.deleted_forms and (f.instance.pk or f.has_changed())
        ]
        # Sections are numbered 0, 1, 2… in the order the editor gave; a section without
        # a number goes last. Positions are unique per story, so the old numbers are
        # moved out of the way first.
        kept.sort(key=lambda item: (item[0] is None, item[0] or 0, item[1]))
        Section.objects.filter(story=story).update(position=F("position") + POSITION_PARKING)
        for position, (_, _, section) in enumerate(kept):
            section.story = story
            section.position = position
            section.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The sections and tags are saved only now, after the story itself.
        search.refresh_on_commit([form.instance.pk])
        caching.invalidate_on_commit()

    def delete_model(self, request, obj):
        services.delete_stories(stories=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_stories(stories=list(queryset), user=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and any(name in request.POST for name in PUBLISH_BUTTONS):
            services.require_publisher(request.user)
        if request.method == "POST" and object_id and not self.has_publish_permission(request):
            story = self.get_object(request, unquote(object_id))
            if story is not None and story.status == Story.Status.PUBLISHED:
                return self._published_while_editing(request, story)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (services.StaleEdit, ValidationError):
            # Someone saved, or a scheduled time passed, between the form's checks and
            # the save (possible on SQLite). Nothing was written; the form, validated
            # again, now says why and keeps the editor's text.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        """A story deleted while someone edited it: give them back what they wrote."""
        if request.method != "POST":
            return super()._get_obj_does_not_exist_redirect(request, opts, object_id)
        return render(
            request,
            "admin/articles/story/deleted_while_editing.html",
            {
                **self.admin_site.each_context(request),
                **_posted_text(request),
                "opts": opts,
                "title": "This story was deleted while you were editing it",
            },
            status=409,
        )

    def _published_while_editing(self, request, story):
        """A reporter's save of a published story (published, most likely, while they
        edited the draft): refused, with everything they wrote on the page to copy."""
        who, when = last_saved_by(story.pk)
        return render(
            request,
            "admin/articles/story/published_while_editing.html",
            {
                **self.admin_site.each_context(request),
                **_posted_text(request),
                "opts": self.model._meta,
                "original": story,
                "title": "This story is published: only editors can change it now",
                "saved_by": who,
                "saved_when": when,
            },
            status=403,
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_publish"] = self.has_publish_permission(request) and (
            add or self.has_change_permission(request, obj)
        )
        if obj is not None:
            context["preview_url"] = reverse("articles:preview", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request, obj):
        for name, verb in (("_publish", "published"), ("_unpublish", "unpublished")):
            if name in request.POST:
                self.message_user(request, f"“{obj}” is {verb}.", messages.SUCCESS)
        if "_schedule" in request.POST:
            when = timezone.localtime(obj.published_at)
            self.message_user(
                request, f"“{obj}” will appear on {when:%d %B %Y at %H:%M}.", messages.SUCCESS
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
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _each(self, request, queryset, workflow, verb):
        done = 0
        for story in queryset:
            try:
                workflow(story=story, user=request.user)
            except (ValidationError, services.StaleEdit) as exc:
                self.message_user(request, f"“{story}”: {_message(exc)}", messages.ERROR)
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
            path(
                "<int:story_pk>/history/compare/<int:version_pk>/",
                view(self.compare_view),
                name="articles_story_compare",
            ),
            *super().get_urls(),
        ]

    # The wire desk checks a request's size before its body is read, CSRF token included,
    # then checks the token itself (articles/admin/wire_desk.py).
    @method_decorator(csrf_exempt)
    def wire_desk(self, request):
        from articles.desk.wire_desk import wire_desk_view

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

    def compare_view(self, request, story_pk, version_pk):
        """An earlier revision beside the story as it is now, and a way to restore it."""
        story = get_object_or_404(Story, pk=story_pk)
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        version = get_object_or_404(history.story_versions(story_pk), pk=version_pk)
        if request.method == "POST":
            if not self.has_change_permission(request, story):
                raise PermissionDenied
            try:
                with transaction.atomic():
                    services.restore_version(
                        story=story,
                        version=version,
                        user=request.user,
                        expected_version=int(request.POST.get("expected_version", 0)),
                    )
            except ValidationError as error:
                self.message_user(request, _message(error), messages.ERROR)
                return HttpResponseRedirect(request.path)
            except (services.StaleEdit, ValueError):
                self.message_user(
                    request,
                    "The story changed while you were comparing; here is the new comparison.",
                    messages.WARNING,
                )
                return HttpResponseRedirect(request.path)
            self.message_user(request, "The earlier version is restored.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:articles_story_change", args=[story.pk]))
        old = history.snapshot_of_version(version)
        changes = history.compare(old, history.snapshot_of_story(story))
        return render(
            request,
            "admin/articles/story/compare.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": story,
                "title": f"Compare revisions of “{story}”",
                "version": version,
                "changes": changes,
                "can_restore": self.has_change_permission(request, story),
            },
        )

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """The history's links show what changed since that revision (and can restore it)."""
        return HttpResponseRedirect(
            reverse("admin:articles_story_compare", args=[object_id, version_id])
        )

    def recover_view(self, request, version_id, extra_context=None):
        """Bring back a deleted story, as a draft, after showing what it held."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.get_deleted(Story), pk=version_id)
        if request.method == "POST":
            try:
                story = services.recover_story(version=version, user=request.user)
            except ValidationError as exc:
                self.message_user(request, _message(exc), messages.ERROR)
                return HttpResponseRedirect(reverse("admin:articles_story_recoverlist"))
            self.message_user(request, f"“{story}” is back, as a draft.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:articles_story_change", args=[story.pk]))
        return render(
            request,
            "admin/articles/story/recover.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Recover “{version.object_repr}”",
                "snapshot": history.snapshot_of_version(version),
            },
        )


class ScheduleForm(forms.Form):
    schedule_at = forms.CharField(widget=forms.HiddenInput, initial="1")
    at = forms.SplitDateTimeField(
        label="Publish at",
        widget=admin.widgets.AdminSplitDateTime,
        help_text="The stories appear on the site by themselves at this time.",
    )

    def clean_at(self):
        at = self.cleaned_data["at"]
        if at <= timezone.now():
            raise ValidationError("Choose a time in the future.")
        return at


def _posted_text(request) -> dict:
    """The headline, standfirst and sections of a posted change form, to give back."""
    sections = []
    total = request.POST.get("sections-TOTAL_FORMS", "")
    for n in range(min(int(total) if total.isdigit() else 0, 1000)):
        subheading = request.POST.get(f"sections-{n}-subheading", "")
        body = request.POST.get(f"sections-{n}-body", "")
        if subheading or body:
            sections.append((subheading, body))
    return {
        "headline": request.POST.get("headline", ""),
        "standfirst": request.POST.get("standfirst", ""),
        "sections": sections,
    }


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, services.StaleEdit):
        return "someone changed it at the same moment; try again."
    return str(exc)
