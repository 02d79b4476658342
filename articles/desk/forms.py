"""The desk's forms: the story form and its sections, the schedule and kill questions, the
correction form, and the fields and checks they share with the wire desk and tags.

Text is checked where it comes in, once: what the parser refuses in wire copy
(``wire.unsafe_character``: control characters, U+FFFE, U+FFFF, which feeds and sitemaps
cannot carry in XML 1.0) the forms refuse too, with a message that names the character, so
nothing stored can break a page, a feed or a sitemap later.
"""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from taggit.forms import TagField

from articles import services, wire
from articles.models import TAG_MAX_LENGTH, Correction, Section, Story
from articles.services import history
from articles.services.editing import EMBARGO_EDITORS_ONLY, embargo_shortened
from articles.services.lifecycle import CORRECTION_MAX_LENGTH

PUBLICATION_MARKS = {
    "_publish": lambda story, at: services.mark_published(story),
    "_schedule": lambda story, at: services.mark_scheduled(story, at=at),
    "_publish_at_embargo": lambda story, at: services.mark_published_at_embargo(story),
    "_unpublish": lambda story, at: services.mark_unpublished(story),
}
"""The change form's publishing buttons and the workflow each one runs before the save."""


def check_publishable(text: str) -> None:
    """Raise ValidationError if ``text`` has a character no page or feed can carry."""
    found = wire.unsafe_character(text)
    if found is None:
        return
    offset, char = found
    before = text[max(0, offset - 30) : offset].split()
    where = f" after “{' '.join(before[-4:])}”" if before else " at the start"
    raise ValidationError(
        f"Remove the invisible character {wire.describe_character(char)}{where}: "
        "feeds and search engines cannot carry it."
    )


def error_text(exc: Exception) -> str:
    """What to tell the desk when a workflow refused a change."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, services.StaleEdit):
        return "someone changed it at the same moment; try again."
    return str(exc)


class PublishableTextMixin:
    """For a form: every text field must be publishable (tags check themselves, in
    :class:`TagNamesField`). ``unchecked_fields`` names fields checked elsewhere."""

    unchecked_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and name not in self.unchecked_fields:
                try:
                    check_publishable(value)
                except ValidationError as error:
                    self.add_error(name, error)
        return cleaned


class TagNamesField(TagField):
    """Comma-separated tag names, each short enough to be stored and publishable."""

    def clean(self, value):
        names = super().clean(value)
        too_long = [name for name in names if len(name) > TAG_MAX_LENGTH]
        if too_long:
            raise ValidationError(
                f"A tag has at most {TAG_MAX_LENGTH} characters; "
                f"“{too_long[0][:40]}…” has {len(too_long[0])}."
            )
        for name in names:
            check_publishable(name)
        return names


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

    def edited_sections(self) -> list[Section]:
        """After ``save(commit=False)``: the sections to keep, in the order the editor
        gave. A section without a number goes last; blank extra forms are left out."""
        kept = [
            (form.cleaned_data.get("position"), index, form.instance)
            for index, form in enumerate(self.forms)
            if form not in self.deleted_forms and (form.instance.pk or form.has_changed())
        ]
        kept.sort(key=lambda item: (item[0] is None, item[0] or 0, item[1]))
        return [section for _, _, section in kept]


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
            "embargo",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        if "status" in self.fields:
            # Killing and reinstating have buttons of their own (a note, a confirmation, a
            # revision that says so); a killed story's status is read-only (StoryAdmin).
            self.fields["status"].choices = [
                choice
                for choice in self.fields["status"].choices
                if choice[0] != Story.Status.KILLED
            ]
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
            version, status, embargo = (
                Story.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", "status", "embargo")
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
                not self.can_publish
                and "embargo" in cleaned
                and embargo_shortened(embargo, cleaned["embargo"])
            ):
                self.add_error("embargo", EMBARGO_EDITORS_ONLY)
        button = next((name for name in PUBLICATION_MARKS if name in self.data), None)
        if (
            cleaned.get("status") == Story.Status.PUBLISHED
            and cleaned.get("published_at") is None
            and button not in ("_publish", "_publish_at_embargo")
        ):
            self.add_error(
                "published_at",
                "A published story needs a publication time: give one, or use "
                "“Save and publish now”.",
            )
        if button and self.can_publish:
            self._try_publication(button, cleaned)
        return cleaned

    def _try_publication(self, button: str, cleaned: dict) -> None:
        """Run the button's workflow on a copy of the story as the form would save it, so
        what it refuses (a killed story published or unpublished, an embargo still to come,
        a time in the past) is a form error, in the service's words, and nothing is saved."""
        embargo = cleaned.get("embargo", self.instance.embargo)
        if button == "_publish_at_embargo" and embargo is None:
            self.add_error(
                "embargo" if "embargo" in self.fields else None,
                "Give the embargo time to publish at, or use “Save and publish now”.",
            )
            return
        copy = Story(
            pk=self.instance.pk,
            slug=cleaned.get("slug") or self.instance.slug,
            status=self.instance.status,
            published_at=cleaned.get("published_at", self.instance.published_at),
            embargo=embargo,
        )
        try:
            PUBLICATION_MARKS[button](copy, copy.published_at)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                field = "embargo" if error.code == "embargoed" else None
                self.add_error(field if field in self.fields else None, error)


class ScheduleForm(forms.Form):
    """The schedule action's question: when the selected stories appear."""

    schedule_at = forms.CharField(widget=forms.HiddenInput, initial="1")
    at = forms.SplitDateTimeField(
        label="Publish at",
        widget=AdminSplitDateTime,
        help_text="The stories appear on the site by themselves at this time.",
    )

    def clean_at(self):
        at = self.cleaned_data["at"]
        services.check_schedule_time(at)
        return at


class ConfirmForm(forms.Form):
    """A confirmation of a change to one story, made on the version the editor saw."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class KillForm(PublishableTextMixin, ConfirmForm):
    """The kill's confirmation: an optional note, kept in the story's history."""

    note = forms.CharField(
        required=False,
        max_length=300,
        help_text="Why it is withdrawn: for the desk, kept in the story's history.",
    )


class CorrectionForm(PublishableTextMixin, forms.Form):
    """A correction or clarification written in the desk, for readers."""

    kind = forms.ChoiceField(choices=Correction.Kind.choices, initial=Correction.Kind.CORRECTION)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=CORRECTION_MAX_LENGTH,
        help_text="What was wrong and what is right, as readers will read it.",
    )


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
