"""Corrections and clarifications written in the desk: a page for each story that lists
them, prepares a new one tied to the story's version now (the one that put it right), and
publishes a prepared one.

Who may do what is the services' rule (``prepare_correction``, ``publish_correction``):
anyone who may change stories prepares one, which readers do not see; publishing needs
the publish permission. A refused request is a 403 and writes nothing.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from articles import services
from articles.desk.forms import CorrectionForm
from articles.desk.history import correction_rows
from articles.models import Correction, Story


class CorrectionViews:
    """The corrections page of a story, for the story admin."""

    def correction_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:story_pk>/corrections/",
                view(self.corrections_view),
                name="articles_story_corrections",
            ),
            path(
                "<int:story_pk>/corrections/<int:correction_pk>/publish/",
                view(self.publish_correction_view),
                name="articles_story_publish_correction",
            ),
        ]

    def corrections_view(self, request, story_pk):
        """The story's corrections, and a form for a new one ("Prepare", or for editors
        "Publish now")."""
        story = get_object_or_404(Story, pk=story_pk)
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        publish = "_publish" in request.POST
        if publish:
            services.require_publisher(request.user)
        form = CorrectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                correction = services.prepare_correction(
                    story=story,
                    user=request.user,
                    text=form.cleaned_data["text"],
                    kind=form.cleaned_data["kind"],
                    publish=publish,
                )
            except ValidationError as error:
                form.add_error("kind" if error.code == "kind" else "text", error)
            else:
                kind = correction.get_kind_display().lower()
                said = "published" if publish else "prepared: an editor publishes it"
                self.message_user(request, f"The {kind} is {said}.", messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        return TemplateResponse(
            request,
            "admin/articles/story/corrections.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": story,
                "title": f"Corrections of “{story}”",
                "corrections": correction_rows(story),
                "form": form,
                "can_publish": services.can_publish(request.user),
            },
        )

    def publish_correction_view(self, request, story_pk, correction_pk):
        """Publish a prepared correction (a POST from the corrections page)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        services.require_publisher(request.user)
        correction = get_object_or_404(Correction, pk=correction_pk, story_id=story_pk)
        already = correction.is_published
        services.publish_correction(correction=correction, user=request.user)
        if already:
            when = timezone.localtime(correction.published_at)
            said = f"was already published, on {when:%d %B %Y at %H:%M}"
        else:
            said = "is published: readers see it under the story and on the corrections page"
        self.message_user(
            request,
            f"The {correction.get_kind_display().lower()} {said}.",
            messages.SUCCESS if not already else messages.INFO,
        )
        return HttpResponseRedirect(reverse("admin:articles_story_corrections", args=[story_pk]))
