"""A story's history on the desk: comparing a revision with the story as it is, restoring
it, recovering a deleted story, and giving an editor back what they wrote when their save
cannot go in (the story was deleted, or published, while they edited it).

:class:`HistoryViews` is a mixin for the story admin; the writes are services'.
"""

from django.contrib import messages
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
        ]

    def compare_view(self, request, story_pk, version_pk):
        """An earlier revision beside the story as it is now, and a way to restore it."""
        story = get_object_or_404(Story, pk=story_pk)
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        version = get_object_or_404(history.story_versions(story_pk), pk=version_pk)
        if request.method == "POST":
            return self._restore(request, story, version)
        changes = history.compare(
            history.snapshot_of_version(version), history.snapshot_of_story(story)
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
                "changes": changes,
                "can_restore": self.has_change_permission(request, story),
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
                "title": "This story is published: only editors can change it now",
                "saved_by": who,
                "saved_when": when,
            },
            status=403,
        )


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
