"""The wire desk: an editor pastes or uploads agency copy, sees what the parser makes of it,
then saves it as a draft story.

Two steps on one page. "Preview" parses the copy and shows the result without writing
anything; the preview carries the copy forward, read-only, with the suggested tags to
edit. "Create draft" imports it through ``services.import_wire_copy``, which parses again
and never imports the same copy twice. Anything the desk cannot use (nothing sent, a file
that is not UTF-8 text or is too large, copy the parser rejects) comes back as an error in
the form, never as an error page. A request larger than the desk accepts
(``DATA_UPLOAD_MAX_MEMORY_SIZE``) is refused from its ``Content-Length`` before a byte of its
body is read, so the CSRF check runs inside the view, after that one.

A browser sends the read-only copy back with CRLF line breaks; that does not change the
copy's checksum, so it is still recognised as the same copy.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect
from taggit.models import Tag
from taggit.utils import edit_string_for_tags

from articles import services, wire
from articles.desk.forms import PublishableTextMixin, TagNamesField
from articles.models import Story

TEMPLATE = "admin/articles/story/wire_desk.html"


class WireCopyForm(PublishableTextMixin, forms.Form):
    """The copy, pasted or uploaded, and (on the preview) the tags the draft will get."""

    # The parser checks the copy itself: a form feed is a line break there, not refused.
    unchecked_fields = ("copy",)

    copy = forms.CharField(
        label="Paste wire copy",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 20,
                "cols": 90,
                "spellcheck": "false",
                # The browser stops a paste at the limit, so no request grows past
                # DATA_UPLOAD_MAX_MEMORY_SIZE and meets Django's 400 before this view.
                "maxlength": wire.MAX_INPUT_BYTES,
            }
        ),
        help_text="Exactly as it arrived: timestamp line, headline, dateline paragraph, "
        "subheadings written “- Like this -”.",
    )
    upload = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text=f"A plain-text file in UTF-8, at most {wire.MAX_INPUT_BYTES:,} bytes.",
    )
    tags = TagNamesField(
        label="Tags",
        required=False,
        help_text="Separated by commas. Suggested from the copy; change them as you like.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed: wire.WireStory | None = None
        self.fields["tags"].widget.attrs.update(
            {"data-suggest-url": reverse("admin:articles_tag_suggestions"), "autocomplete": "off"}
        )

    @classmethod
    def for_confirmation(cls, parsed: wire.WireStory) -> "WireCopyForm":
        """Step 2: the parsed copy, read-only, and its suggested tags ready to edit."""
        form = cls(
            initial={
                "copy": parsed.source_text,
                "tags": edit_string_for_tags([Tag(name=name) for name in parsed.tags]),
            }
        )
        form.fields["copy"].label = "Wire copy to import"
        form.fields["copy"].help_text = "This is what will be saved, word for word."
        form.fields["copy"].widget.attrs["readonly"] = True
        return form

    def clean(self):
        cleaned = super().clean()
        copy, upload = cleaned.get("copy", ""), cleaned.get("upload")
        if self.errors:
            return cleaned
        if upload is not None and copy.strip():
            raise ValidationError("Paste the copy or upload a file, not both.")
        if upload is None and not copy.strip():
            self.add_error("copy", "Paste the wire copy, or choose a file to upload.")
            return cleaned
        if upload is not None:
            if upload.size > wire.MAX_INPUT_BYTES:
                self.add_error(
                    "upload",
                    f"The file is {upload.size:,} bytes; wire copy is at most "
                    f"{wire.MAX_INPUT_BYTES:,} bytes.",
                )
                return cleaned
            field, data = "upload", upload.read()
        else:
            field, data = "copy", copy
        try:
            self.parsed = services.parse_copy(data)
        except wire.WireError as exc:
            self.add_error(field, f"This is not wire copy we can read: {exc}.")
        return cleaned


def wire_desk_view(request, model_admin):
    """Paste or upload wire copy, preview what it parses to, and save it as a draft."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    size = _declared_size(request)
    if request.method == "POST" and size > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        refused = (
            f"That is {size / 1_000_000:,.1f} MB, more than the desk takes at once "
            f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_000_000:,.0f} MB), so nothing of it "
            f"was read. One story's copy is at most {wire.MAX_INPUT_BYTES:,} bytes: check "
            "that this is the right file."
        )
        response = _render(request, model_admin, form=WireCopyForm(), refused=refused)
        response.status_code = 413
        return response
    return _wire_desk(request, model_admin)


def _declared_size(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_protect
def _wire_desk(request, model_admin):
    if request.method != "POST":
        return _render(request, model_admin, form=WireCopyForm())
    form = WireCopyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, model_admin, form=form)
    parsed = form.parsed
    if "_create" in request.POST:
        result = services.import_wire_copy(
            data=parsed.source_text, tags=tuple(form.cleaned_data["tags"]), user=request.user
        )
        if result.created:
            messages.success(
                request, f"“{result.story}” is saved as a draft. Check it before publishing."
            )
        else:
            messages.info(request, f"This copy was imported before, as “{result.story}”.")
        return HttpResponseRedirect(_change_url(model_admin, result.story))
    existing = Story.objects.filter(source_checksum=parsed.checksum).first()
    return _render(
        request,
        model_admin,
        form=WireCopyForm.for_confirmation(parsed),
        parsed=parsed,
        existing=existing,
        existing_url=_change_url(model_admin, existing) if existing else None,
    )


def _change_url(model_admin, story: Story) -> str:
    return reverse(
        "admin:articles_story_change", args=[story.pk], current_app=model_admin.admin_site.name
    )


def _render(request, model_admin, **context) -> TemplateResponse:
    return TemplateResponse(
        request,
        TEMPLATE,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": "Wire desk",
            "wire_time_zone": settings.WIRE_TIME_ZONE,
            **context,
        },
    )
