"""A story's history on the desk: its revisions, the agency's takes (kind, update number,
note, embargo, the copy verbatim) and its corrections; comparing a revision with the story
as it is or with a later revision, restoring it, recovering a deleted story, and giving an
editor back what they wrote when their save cannot go in (the story was deleted, or
published, while they edited it).

:class:`HistoryViews` is a mixin for the story admin; the writes are services'.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from reversion.models import Version

from articles import services
from articles.desk.forms import error_text, last_saved_by
from articles.models import Story
from articles.services import history


class HistoryViews:
    """Views of a story's revisions, for a ``VersionAdmin`` of stories."""

    def history_urls(self) -> list:
        return [
            path(
                "<int:story_pk>/history/compare/<int:version_pk>/",
                self.admin_site.admin_view(self.compare_view),
                name="articles_story_compare",
            ),
            path(
                "<int:story_pk>/history/compare/<int:version_pk>/to/<int:later_pk>/",
                self.admin_site.admin_view(self.compare_view),
                name="articles_story_compare_versions",
            ),
        ]

    def history_view(self, request, object_id, extra_context=None):
        """The revisions, as reversion lists them, then the takes and the corrections."""
        story = self.get_object(request, unquote(object_id))
        if story is not None and self.has_view_or_change_permission(request, story):
            extra_context = {
                "takes": story.takes.all(),
                "corrections": correction_rows(story),
                **(extra_context or {}),
            }
        return super().history_view(request, object_id, extra_context)

    def compare_view(self, request, story_pk, version_pk, later_pk=None):
        """An earlier revision beside the story as it is now, and a way to restore it; or,
        given ``later_pk``, beside a later revision (what a correction's revision changed),
        with nothing to restore."""
        story = get_object_or_404(Story, pk=story_pk)
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        version = get_object_or_404(history.story_versions(story_pk), pk=version_pk)
        later = None
        if later_pk is not None:
            later = get_object_or_404(history.story_versions(story_pk), pk=later_pk)
        elif request.method == "POST":
            return self._restore(request, story, version)
        changes = history.compare(
            history.snapshot_of_version(version),
            history.snapshot_of_version(later) if later else history.snapshot_of_story(story),
        )
        return render(
            request,
            "admin/articles/story/compare.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": story,
                "title": f"Compare revisions of “{story}”",
                "version": version,
                "later": later,
                "changes": changes,
                "can_restore": later is None and self.has_change_permission(request, story),
            },
        )

    def _restore(self, request, story, version):
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
            self.message_user(request, error_text(error), messages.ERROR)
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
                self.message_user(request, error_text(exc), messages.ERROR)
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

    def deleted_while_editing(self, request):
        """A save of a story deleted while someone edited it: give them back what they
        wrote."""
        return render(
            request,
            "admin/articles/story/deleted_while_editing.html",
            {
                **self.admin_site.each_context(request),
                **posted_text(request),
                "opts": self.model._meta,
                "title": "This story was deleted while you were editing it",
            },
            status=409,
        )

    def published_while_editing(self, request, story):
        """A reporter's save of a published story (published, most likely, while they
        edited the draft): refused, with everything they wrote on the page to copy."""
        who, when = last_saved_by(story.pk)
        return render(
            request,
            "admin/articles/story/published_while_editing.html",
            {
                **self.admin_site.each_context(request),
                **posted_text(request),
                "opts": self.model._meta,
                "original": story,
                "title": f"This story is {story.get_status_display().lower()}: only editors "
                "can change it now",
                "saved_by": who,
                "saved_when": when,
            },
            status=403,
        )


def diff_links(story_pk: int, numbers: set[int]) -> dict[int, str]:
    """For each version number in ``numbers``, the address of the comparison of the
    revision before it with the revision that saved it (none for a story's first version,
    or when either revision is missing). One query, whatever the number of revisions."""
    wanted = numbers | {number - 1 for number in numbers}
    saved: dict[int, int] = {}
    if numbers:
        for version in history.story_versions(story_pk):
            number = version.field_dict.get("version")
            if number in wanted:
                saved.setdefault(number, version.pk)  # newest first: the last one to save it
    return {
        number: reverse(
            "admin:articles_story_compare_versions",
            args=[story_pk, saved[number - 1], saved[number]],
        )
        for number in numbers
        if number in saved and number - 1 in saved
    }


def correction_rows(story: Story) -> list[dict]:
    """The story's corrections, oldest first, each with the address of the difference its
    revision made (``diff_url``, "" when there is none to show)."""
    corrections = list(story.corrections.order_by("created_at", "pk"))
    links = diff_links(story.pk, {correction.story_version for correction in corrections})
    return [
        {"correction": correction, "diff_url": links.get(correction.story_version, "")}
        for correction in corrections
    ]


def posted_text(request) -> dict:
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
