import pytest
from django.core.management import call_command

from articles.fixtures import DEMO_FIXTURE


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def demo_story(db):
    """The seed story, loaded from the committed demo fixture."""
    from articles.models import Story

    call_command("loaddata", DEMO_FIXTURE, verbosity=0)
    return Story.objects.get()
