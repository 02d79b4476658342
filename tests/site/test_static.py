"""Static files in production: hashed, compressed, cached for ever, served by whitenoise."""

import re

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture
def collected(settings, tmp_path):
    """collectstatic into a scratch folder, with the production storage."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    return tmp_path


@pytest.mark.django_db
def test_pages_link_hashed_files_served_for_ever(collected):
    """The page links css/site.<hash>.css; whitenoise serves it, compressed, cached a year+."""
    client = Client()
    html = client.get("/").content.decode()
    (href,) = re.findall(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html)
    assert (collected / href.removeprefix("/static/")).exists()
    assert (collected / (href.removeprefix("/static/") + ".gz")).exists()
    response = client.get(href, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    assert max_age >= 365 * 24 * 3600
