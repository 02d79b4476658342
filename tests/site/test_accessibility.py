"""Accessibility and valid HTML on the readers' pages: axe-core in Chromium, and the Nu
Html Checker."""

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from articles import services
from articles.models import Story, Take
from articles.services.fixtures import DEMO_FIXTURE
from tests.factories import make_story

pytestmark = pytest.mark.slow

PAGES = {
    "home": "/",
    "story": "/2023/09/21/azerbaijan-claims-victory-after-karabakh-separatists-surrender/",
    "tag": "/tags/nagorno-karabakh/",
    "place": "/places/baku/",
    "search": "/search/?q=Pashinyan",
    "corrections": "/corrections/",
    "withdrawn": "/2023/09/20/a-withdrawn-story/",
    "not found": "/no/such/page/",
}

VNU_LOCATIONS = [
    os.environ.get("VNU_JAR", ""),
    str(Path.home() / ".cache/newsroom-tools/node_modules/vnu-jar/build/dist/vnu.jar"),
]


def demo_content():
    """The seed story with a correction and an update, a second story, a killed one."""
    call_command("loaddata", DEMO_FIXTURE, verbosity=0)
    seed = Story.objects.get()
    services.prepare_correction(
        story=seed, user=None, text="An earlier version misspelt Stepanakert.", publish=True
    )
    Take.objects.create(
        story=seed,
        kind=Take.Kind.UPDATE,
        headline=seed.headline,
        note="Adds Armenian reaction in paragraph 5",
        source_text="update",
        checksum="accessibility-update",
    )
    make_story(headline="A second story from Baku", dateline_place="BAKU", tags=["Armenia"])
    make_story(
        headline="A withdrawn story",
        slug="a-withdrawn-story",
        status=Story.Status.KILLED,
        published_at=datetime(2023, 9, 20, 12, tzinfo=UTC),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(live_server, browser, scheme):
    """axe-core reports nothing on home, story (with its correction and update note), tag,
    place, search, corrections, a withdrawn story (410) and 404, in light and dark
    colours."""
    demo_content()
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    axe = Axe()
    reports = {}
    for name, path in PAGES.items():
        page.goto(live_server.url + path)
        results = axe.run(page)
        if results.violations_count:
            reports[name] = results.generate_report()
    context.close()
    assert not reports, "\n\n".join(f"{name}:\n{report}" for name, report in reports.items())


def unavailable(reason: str):
    """Skip locally; under CI a missing tool is a failure."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def vnu_command() -> list[str]:
    java = shutil.which("java")
    jar = next((p for p in VNU_LOCATIONS if p and Path(p).is_file()), None)
    if not java or not jar:
        unavailable("the Nu Html Checker needs Java and vnu.jar (npm vnu-jar); set VNU_JAR")
    return [java, "-jar", jar]


@pytest.mark.django_db
def test_nu_html_checker_finds_no_errors(client, tmp_path):
    """Every listed page is valid HTML by the Nu Html Checker (errors only)."""
    command = vnu_command()
    demo_content()
    files = []
    for name, path in PAGES.items():
        target = tmp_path / f"{name.replace(' ', '-')}.html"
        target.write_bytes(client.get(path).content)
        files.append(str(target))
    result = subprocess.run(
        [*command, "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    problems = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}" for m in messages
    ]
    assert not problems, "\n".join(problems)
