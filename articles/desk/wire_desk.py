"""The wire desk: an editor pastes or uploads agency copy, sees what the parser makes of it,
then saves it as a draft story, or adds it to the story it is a later take of.

Two steps on one page. "Preview" parses the copy and shows the result without writing
anything; the preview carries the copy forward, read-only, with the suggested tags to
edit. "Create draft" imports it through ``services.import_wire_copy``, which parses again
and never imports the same copy twice.

A later take (an update, correction, refile or kill notice) previews with the story it
belongs to, as the importer would find it ("Update of: <story>"), or why there is none,
and with its editors' note and embargo. The editor chooses: that story, another one (by
id, among the stories from the same place suggested), or a new story of its own (a draft).
Saving applies the choice through the services; what they refuse (a published story for
a reporter, an embargo a live story cannot honour) comes back on the preview, one line.

Anything the desk cannot use (nothing sent, a file that is not UTF-8 text or is too large,
copy the parser rejects) comes back as an error in the form, never as an error page. A
request larger than the desk accepts (``DATA_UPLOAD_MAX_MEMORY_SIZE``) is refused from its
``Content-Length`` before a byte of its body is read, so the CSRF check runs inside the
view, after that one.

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
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect
from taggit.models import Tag
from taggit.utils import edit_string_for_tags

from articles import services, wire
from articles.desk.forms import PublishableTextMixin, TagNamesField
from articles.models import Story

TEMPLATE = "admin/articles/story/wire_desk.html"

OF_LABELS = {
    "update": "Update of",
    "correction": "Correction of",
    "refile": "Refile of",
    "kill": "Kill of",
}
"""What the preview of a later take says before the story it belongs to."""


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
    target = forms.ChoiceField(
        label="Add this take to",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("story", "The story it belongs to"),
            ("other", "Another story"),
            ("new", "Import as a new story (a draft)"),
        ],
    )
    story = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    other_story = forms.IntegerField(
        label="Another story (its id)",
        required=False,
        min_value=1,
        help_text="The number in its address in the desk; stories from the same place are "
        "suggested.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed: wire.WireStory | None = None
        self.fields["tags"].widget.attrs.update(
            {"data-suggest-url": reverse("admin:articles_tag_suggestions"), "autocomplete": "off"}
        )

    @classmethod
    def for_confirmation(
        cls, parsed: wire.WireStory, *, match: services.Match | None = None
    ) -> "WireCopyForm":
        """Step 2: the parsed copy, read-only, and its suggested tags ready to edit; for a
        later take, the story it joins (the one found, if any, chosen)."""
        found = match.story if match else None
        form = cls(
            initial={
                "copy": parsed.source_text,
                "tags": edit_string_for_tags([Tag(name=name) for name in parsed.tags]),
                "target": "story" if found else "new",
                "story": found.pk if found else None,
            }
        )
        if found:
            form.fields["target"].choices = [
                ("story", f"“{found.headline}” (story {found.pk})"),
                *form.fields["target"].choices[1:],
            ]
        else:
            form.fields["target"].choices = form.fields["target"].choices[1:]
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

    def choice(self) -> dict:
        """The later take's destination, as ``import_wire_copy`` takes it: ``story`` (an
        id) or ``as_new``; nothing for a first take. ``ValidationError`` when the editor
        chose another story without saying which."""
        if self.parsed is None or self.parsed.kind == "original":
            return {}
        target = self.cleaned_data.get("target") or "new"
        if target == "new":
            return {"as_new": True}
        story = self.cleaned_data.get("other_story" if target == "other" else "story")
        if story is None:
            raise ValidationError("Give the id of the story to add this take to.")
        return {"story": story}


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
        try:
            result = services.import_wire_copy(
                data=parsed.source_text,
                tags=tuple(form.cleaned_data["tags"]),
                user=request.user,
                **form.choice(),
            )
        except (services.TakeRefused, PermissionDenied, ValidationError) as exc:
            refused = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            return _preview(request, model_admin, parsed, form=form, refused=refused)
        _tell(request, result)
        return HttpResponseRedirect(_change_url(model_admin, result.story))
    return _preview(request, model_admin, parsed)


def _preview(request, model_admin, parsed, *, form=None, refused: str = ""):
    """The preview: what was parsed and, for a later take, the story it would join."""
    existing = Story.objects.filter(source_checksum=parsed.checksum).first()
    if existing is None:  # imported before as a later take of a story
        existing = services.stories_of_takes({parsed.checksum}).get(parsed.checksum)
    match, nearby = None, []
    if parsed.kind != "original":
        now = timezone.now()
        match = services.find_story(parsed, now=now)
        nearby = services.nearby_stories(parsed, at=services.take_time(parsed, now=now))
    confirmation = WireCopyForm.for_confirmation(parsed, match=match)
    if form is not None:  # a refused choice: shown again as the editor left it
        for name in ("tags", "target", "other_story"):
            if name in form.data:
                confirmation.initial[name] = form.data[name]
    return _render(
        request,
        model_admin,
        form=confirmation,
        parsed=parsed,
        existing=existing,
        existing_url=_change_url(model_admin, existing) if existing else None,
        match=match,
        match_url=_change_url(model_admin, match.story) if match and match.story else None,
        of_label=OF_LABELS.get(parsed.kind, ""),
        nearby=nearby,
        refused=refused,
    )


def _tell(request, result: services.ImportResult) -> None:
    story = result.story
    if result.outcome == "joined" and result.newer:
        messages.warning(
            request,
            f"“{story}” has a newer {result.newer} than this "
            f"{services.take_label(result.kind, result.revision)}: it is kept in the "
            "story's history, and the story's text is unchanged.",
        )
    elif result.outcome == "joined":
        messages.success(
            request,
            f"“{story}” now has the {services.take_label(result.kind, result.revision)} "
            "from the wire. Check it.",
        )
    elif result.outcome == "created":
        messages.success(request, f"“{story}” is saved as a draft. Check it before publishing.")
    elif result.outcome == "draft":
        messages.warning(request, f"Saved as a draft of its own: {result.draft_reason}.")
    else:
        messages.info(request, f"This copy was imported before, as “{story}”.")


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
