"""Importing wire copy: the service and ``manage.py import_wire``."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles import services, wire
from articles.models import Section, Story

SOURCE = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "source"
    / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
)

pytestmark = pytest.mark.django_db


def copy_seed(directory: Path, name: str = "seed.txt") -> Path:
    """The seed copy without its sidecar, under another name."""
    target = directory / name
    shutil.copyfile(SOURCE, target)
    return target


def test_import_saves_the_whole_story():
    """The seed goes in with its dateline, sections, paragraphs and verbatim source."""
    result = services.import_wire_copy(data=SOURCE.read_bytes())
    story = result.story
    assert result.created
    assert story.headline == "Azerbaijan claims victory after Karabakh separatists surrender"
    assert story.status == Story.Status.DRAFT
    assert story.published_at is None
    assert (story.dateline_place, story.dateline_credit) == ("BAKU", "BSS/AFP")
    assert str(story.dateline_date) == "2023-09-21"
    assert story.source_text == SOURCE.read_text(encoding="utf-8")
    sections = list(story.sections.all())
    assert [s.subheading for s in sections] == [
        "",
        "Truce deal",
        "'War is over'",
        "International pressure",
    ]
    assert [len(s.paragraphs) for s in sections] == [9, 14, 10, 4]
    assert sections[0].paragraphs[0].startswith("Azerbaijan said Wednesday")
    assert "Azerbaijan" in story.tags.names()


def test_publish_takes_the_copy_timestamp():
    """``publish=True`` publishes at the wire timestamp, read in the wire time zone."""
    story = services.import_wire_copy(data=SOURCE.read_bytes(), publish=True).story
    assert story.status == Story.Status.PUBLISHED
    story.refresh_from_db()
    assert story.published_at == datetime(2023, 9, 21, 3, 55, tzinfo=UTC)
    assert list(Story.objects.published()) == [story]


def test_importing_the_same_copy_twice_leaves_one_story():
    """A re-import changes nothing and points at the story already there."""
    first = services.import_wire_copy(data=SOURCE.read_bytes())
    again = services.import_wire_copy(data=SOURCE.read_bytes(), publish=True)
    assert not again.created
    assert again.story.pk == first.story.pk
    assert Story.objects.count() == 1
    assert Section.objects.count() == 4
    assert Story.objects.get().status == Story.Status.DRAFT


def test_same_copy_with_crlf_and_bom_is_the_same_story():
    """Line endings and a BOM do not make copy new."""
    services.import_wire_copy(data=SOURCE.read_bytes())
    variant = b"\xef\xbb\xbf" + SOURCE.read_bytes().replace(b"\n", b"\r\n")
    assert not services.import_wire_copy(data=variant).created
    assert Story.objects.count() == 1


def test_same_headline_on_the_same_day_gets_a_distinct_slug():
    """Two stories with one headline on one day get two addresses."""
    text = SOURCE.read_text(encoding="utf-8")
    first = services.import_wire_copy(data=text, publish=True).story
    second = services.import_wire_copy(data=text + "\nOne more line.", publish=True).story
    assert first.slug == "azerbaijan-claims-victory-after-karabakh-separatists-surrender"
    assert second.slug == first.slug + "-2"


def test_a_failure_mid_import_writes_nothing(monkeypatch):
    """One transaction per story: a failure after the story row leaves no story."""

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Section.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        services.import_wire_copy(data=SOURCE.read_bytes())
    assert Story.objects.count() == 0


def test_bad_copy_is_refused_before_anything_is_written():
    """Unparseable copy raises WireError and stores nothing."""
    with pytest.raises(wire.WireError, match="empty input"):
        services.import_wire_copy(data=b"  \n\n ")
    assert Story.objects.count() == 0


def test_command_imports_good_files_and_reports_bad_ones(tmp_path, capsys):
    """Bad files are named and skipped, the good one goes in, and the exit is an error."""
    good = copy_seed(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    missing = tmp_path / "missing.txt"
    with pytest.raises(CommandError, match="3 of 4 files could not be imported"):
        call_command("import_wire", empty, good, binary, missing)
    out, err = capsys.readouterr()
    assert f"{empty}: empty input" in err
    assert f"{binary}: binary data" in err
    assert f"{missing}: No such file or directory" in err
    assert f"{good}: imported as story" in out
    assert Story.objects.count() == 1


def test_command_twice_reports_the_existing_story(tmp_path, capsys):
    """Running the import again says the copy is already in."""
    good = copy_seed(tmp_path)
    call_command("import_wire", good)
    call_command("import_wire", good)
    story = Story.objects.get()
    assert f"already imported as story {story.pk}" in capsys.readouterr().out


def test_command_uses_the_editorial_sidecar(tmp_path):
    """A ``.toml`` beside the copy sets the tags and the status."""
    good = copy_seed(tmp_path)
    good.with_suffix(".toml").write_text('status = "published"\ntags = ["Caucasus", "Baku"]\n')
    call_command("import_wire", good, verbosity=0)
    story = Story.objects.get()
    assert story.status == Story.Status.PUBLISHED
    assert sorted(story.tags.names()) == ["Baku", "Caucasus"]


def test_command_refuses_a_broken_sidecar(tmp_path, capsys):
    """A sidecar with an unknown status is reported and nothing is imported."""
    good = copy_seed(tmp_path)
    good.with_suffix(".toml").write_text('status = "live"\n')
    with pytest.raises(CommandError):
        call_command("import_wire", good)
    assert "status must be one of draft, published" in capsys.readouterr().err
    assert Story.objects.count() == 0


def test_command_refuses_an_oversized_file_without_reading_it(tmp_path, capsys):
    """A file over the size limit is refused by its size."""
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (wire.MAX_INPUT_BYTES + 1))
    with pytest.raises(CommandError):
        call_command("import_wire", huge)
    assert "wire copy is at most 1,000,000 bytes" in capsys.readouterr().err


def test_command_refuses_a_sidecar_tag_too_long_to_store(tmp_path, capsys):
    """A sidecar tag over 100 characters is reported; nothing is imported."""
    good = copy_seed(tmp_path)
    good.with_suffix(".toml").write_text(f'tags = ["{"x" * 101}"]\n')
    with pytest.raises(CommandError):
        call_command("import_wire", good)
    assert "a tag has at most 100 characters" in capsys.readouterr().err
    assert Story.objects.count() == 0
