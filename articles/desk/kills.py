"""Killing and reinstating stories on the desk: a confirmation page for one story (linked
from its change form) and list actions for several.

Only users with the publish permission see these, and the services check again: anyone
else who posts to them gets 403 and nothing changes. A kill keeps the story (the desk lists
it as killed; its address answers 410 Gone) and an optional note in its history.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from articles import services
from articles.desk.forms import ConfirmForm, KillForm, error_text
from articles.models import Story


class KillViews:
    """The kill and reinstate pages and actions, for the story admin."""

    def kill_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<int:story_pk>/kill/", view(self.kill_view), name="articles_story_kill"),
            path(
                "<int:story_pk>/reinstate/",
                view(self.reinstate_view),
                name="articles_story_reinstate",
            ),
        ]

    def kill_view(self, request, story_pk):
        """Ask for a note and a confirmation, then kill the story."""
        services.require_publisher(request.user)
        story = get_object_or_404(Story, pk=story_pk)
        form = KillForm(request.POST or None, initial={"expected_version": story.version})
        if request.method == "POST" and form.is_valid():
            return self._changed(
                request,
                story,
                lambda: services.kill_story(
                    story=story,
                    user=request.user,
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["expected_version"],
                ),
                f"“{story}” is killed: it is off every public page, and its address "
                "answers 410 Gone.",
            )
        return self._confirmation(request, story, form, kill=True)

    def reinstate_view(self, request, story_pk):
        """Ask for a confirmation, then bring a killed story back."""
        services.require_publisher(request.user)
        story = get_object_or_404(Story, pk=story_pk)
        form = ConfirmForm(request.POST or None, initial={"expected_version": story.version})
        if request.method == "POST" and form.is_valid():
            return self._changed(
                request,
                story,
                lambda: services.reinstate_story(
                    story=story,
                    user=request.user,
                    expected_version=form.cleaned_data["expected_version"],
                ),
                f"“{story}” is reinstated, at its address.",
            )
        return self._confirmation(request, story, form, kill=False)

    def _changed(self, request, story, workflow, done: str):
        change_url = reverse("admin:articles_story_change", args=[story.pk])
        try:
            workflow()
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(change_url)
        except services.StaleEdit:
            self.message_user(
                request,
                "Someone saved the story after you opened this page; check it and confirm again.",
                messages.WARNING,
            )
            return HttpResponseRedirect(request.path)
        self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def _confirmation(self, request, story, form, *, kill: bool, stories=()):
        verb = "Kill" if kill else "Reinstate"
        return TemplateResponse(
            request,
            "admin/articles/story/kill.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": story,
                "stories": stories,
                "form": form,
                "kill": kill,
                "title": f"{verb} “{story}”" if story else f"{verb} stories",
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    # List actions ----------------------------------------------------------------------

    @admin.action(description="Kill selected stories…", permissions=["publish"])
    def kill(self, request, queryset):
        form = KillForm(request.POST if "confirm_kill" in request.POST else None)
        if form.is_valid():
            note = form.cleaned_data["note"]
            self._each(
                request,
                queryset,
                lambda *, story, user: services.kill_story(story=story, user=user, note=note),
                "killed",
            )
            return None
        return self._confirmation(request, None, form, kill=True, stories=queryset)

    @admin.action(description="Reinstate selected killed stories", permissions=["publish"])
    def reinstate(self, request, queryset):
        self._each(request, queryset, services.reinstate_story, "reinstated")
