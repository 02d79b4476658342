"""``manage.py demo``: a working local site in one command."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from articles import services
from articles.management.commands.demo import DEMO_PASSWORD, DEMO_USERNAME
from articles.models import Story

pytestmark = pytest.mark.django_db


def test_demo_loads_the_story_and_a_demo_editor(settings, client, capsys):
    """After the demo the story is public and the printed login works in the admin."""
    settings.DEBUG = True
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert f"as '{DEMO_USERNAME}' with password '{DEMO_PASSWORD}'" in out
    assert "local use only" in out
    story = Story.objects.published().get()
    assert story.headline.startswith("Azerbaijan claims victory")
    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": DEMO_USERNAME, "password": DEMO_PASSWORD},
    )
    assert login.status_code == 302 and login["Location"] == "/admin/"
    assert "Azerbaijan claims victory" in client.get("/admin/articles/story/").content.decode()


def test_demo_can_run_again(settings):
    """A second run changes nothing and still leaves one story and one editor."""
    settings.DEBUG = True
    call_command("demo", "--no-serve", verbosity=0)
    call_command("demo", "--no-serve", verbosity=0)
    assert Story.objects.count() == 1
    assert get_user_model().objects.filter(username=DEMO_USERNAME).count() == 1


def test_demo_run_again_keeps_the_desks_edits(settings, capsys):
    """Editors' changes to the demo story survive the next `demo`; its version goes on."""
    settings.DEBUG = True
    call_command("demo", "--no-serve", verbosity=0)
    story = Story.objects.get()
    story.headline = "Edited on the desk"
    editor = get_user_model().objects.get(username=DEMO_USERNAME)
    services.save_story(story=story, expected_version=story.version, user=editor)
    call_command("demo", "--no-serve")
    story.refresh_from_db()
    assert (story.headline, story.version) == ("Edited on the desk", 2)
    assert "already here; leaving them as they are" in capsys.readouterr().out


def test_demo_refuses_to_run_with_debug_off(settings):
    """The known demo password never reaches a production database."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="local use only"):
        call_command("demo", "--no-serve")
    assert not get_user_model().objects.exists()
