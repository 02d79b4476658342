"""Until stories keep an embargo and a killed state, the takes that need them are refused
at import with a reason, never imported wrongly: an embargoed take published at once, or a
kill notice become a story of its own."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles import services, wire
from articles.models import Story

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[1] / "wire" / "lifecycle"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("embargoed.txt", "embargoed until"), ("kill.txt", "a kill notice")],
)
def test_the_service_refuses_and_writes_nothing(name, reason):
    with pytest.raises(wire.WireError, match=reason):
        services.import_wire_copy(data=(SAMPLES / name).read_bytes(), publish=True)
    assert not Story.objects.exists()


def test_the_command_says_why_and_fails_and_imports_the_rest(capsys):
    """An embargoed take among good ones: the others go in, the command exits non-zero."""
    with pytest.raises(CommandError):
        call_command(
            "import_wire",
            str(SAMPLES / "embargoed.txt"),
            str(SAMPLES / "reuters-update-2-crlf.txt"),
            "--publish",
            verbosity=1,
        )
    output = capsys.readouterr()
    assert "embargoed until" in output.out + output.err
    assert Story.objects.count() == 1
    assert Story.objects.get().is_public


def test_an_update_still_imports_as_a_story_of_its_own():
    result = services.import_wire_copy(
        data=(SAMPLES / "reuters-update-2-crlf.txt").read_bytes(), publish=True
    )
    assert result.created and not result.story.headline.upper().startswith("UPDATE")
