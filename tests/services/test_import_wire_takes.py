"""``manage.py import_wire`` with later takes: one line per file says what became of it, a
sidecar may name the story, and a take that cannot be applied fails its file alone."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles.models import Story
from articles.services import read_sidecar
from articles.services.wire_copy import SidecarError
from tests.factories import make_story
from tests.services.takes_helpers import HEADLINE, SAMPLES, SEED, later_take

pytestmark = pytest.mark.django_db


def write(folder: Path, name: str, text: str, sidecar: str | None = None) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    if sidecar is not None:
        path.with_suffix(".toml").write_text(sidecar, encoding="utf-8")
    return path


def run(*paths: Path, publish: bool = True) -> None:
    args = [str(path) for path in paths] + (["--publish"] if publish else [])
    call_command("import_wire", *args, verbosity=1)


def test_one_line_per_file_says_what_became_of_it(tmp_path, capsys):
    """A first take, its update and kill in one run; an unmatched update is a draft."""
    seed = tmp_path / "seed.txt"
    shutil.copyfile(SEED, seed)
    update = write(tmp_path, "update.txt", later_take())
    kill = write(tmp_path, "kill.txt", later_take("KILL-", note=None, stamp="21 Sep 2023, 15:00"))
    stray = write(tmp_path, "stray.txt", later_take(credit="Reuters"))
    run(update, seed, kill, stray)
    story, draft = Story.objects.order_by("pk")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f'{update}: joined "{HEADLINE}" (story {story.pk}) as update 1',
        f"{seed}: imported as story {story.pk} (published): {HEADLINE}",
        f'{kill}: joined "{HEADLINE}" (story {story.pk}) as kill notice',
        f'{stray}: update with no earlier story headed "{HEADLINE}" from BAKU (Reuters) '
        f"within 72 hours: saved as a draft (story {draft.pk})",
    ]
    assert story.status == Story.Status.KILLED
    assert draft.status == Story.Status.DRAFT
    run(update)
    assert capsys.readouterr().out.strip() == f"{update}: already imported as story {story.pk}"


def test_the_samples_once_refused_now_import(capsys):
    """The embargoed sample is held until its embargo; a kill with no story is kept as a
    draft, said on stderr, and the command fails: the story it withdraws may be public."""
    kill = SAMPLES / "kill.txt"
    with pytest.raises(CommandError) as failure:
        run(SAMPLES / "embargoed.txt", kill)
    embargoed = Story.objects.get(headline="Karabakh talks to resume, envoys say")
    assert embargoed.embargo == embargoed.published_at
    assert not Story.objects.published(at=embargoed.embargo.replace(minute=0)).exists()
    draft = Story.objects.exclude(pk=embargoed.pk).get()
    assert draft.status == Story.Status.DRAFT
    assert str(failure.value) == (
        f"Kill notices that matched no single story: 1 (kept as drafts: {draft.pk}). What they "
        "withdraw may still be public: find it and kill it in the desk."
    )
    assert failure.value.returncode == 1
    output = capsys.readouterr()
    assert f"{kill}: kill notice with no earlier story headed " in output.err
    assert f'"{HEADLINE}" from BAKU (Reuters) within 72 hours: saved as a draft' in output.err
    assert "kill notice" not in output.out


@pytest.mark.parametrize("key", ["story", "slug"])
def test_a_sidecar_names_the_story_a_take_joins(tmp_path, capsys, key):
    """By id or slug, the sidecar wins over the match (no match here at all)."""
    target = make_story(headline="Karabakh: the latest", slug="karabakh-latest")
    sidecar = f"story = {target.pk}\n" if key == "story" else 'slug = "karabakh-latest"\n'
    update = write(tmp_path, "update.txt", later_take(credit="Reuters"), sidecar)
    run(update)
    assert capsys.readouterr().out.strip() == (
        f'{update}: joined "{HEADLINE}" (story {target.pk}) as update 1'
    )
    assert Story.objects.get(pk=target.pk).takes.get().kind == "update"


@pytest.mark.parametrize(
    ("sidecar", "reason"),
    [
        ("story = 999\n", "there is no story 999 to add this take to"),
        ('slug = "nowhere"\n', 'no story has the slug "nowhere" to add this take to'),
        ('story = "12"\n', "update.toml: story must be a story's id, a whole number"),
        ("slug = 3\n", "update.toml: slug must be a story's slug, in quotes"),
        ('story = 1\nslug = "a"\n', "update.toml: give the story or its slug, not both"),
    ],
)
def test_a_sidecar_naming_no_story_fails_its_file_alone(tmp_path, capsys, sidecar, reason):
    """One clear line for the bad file, exit status 1, and the other file goes in."""
    update = write(tmp_path, "update.txt", later_take(), sidecar)
    seed = tmp_path / "seed.txt"
    shutil.copyfile(SEED, seed)
    with pytest.raises(CommandError, match="1 of 2 files could not be imported"):
        run(update, seed)
    assert capsys.readouterr().err.strip() == f"{update}: {reason}"
    assert Story.objects.get().takes.count() == 1


def test_two_stories_with_the_slug_are_not_guessed_between(tmp_path, capsys):
    one = make_story(slug="karabakh")
    two = make_story(slug="karabakh", published_at=one.published_at.replace(year=2020))
    update = write(tmp_path, "update.txt", later_take(), 'slug = "karabakh"\n')
    with pytest.raises(CommandError):
        run(update)
    assert capsys.readouterr().err.strip() == (
        f'{update}: 2 stories have the slug "karabakh" (ids {one.pk}, {two.pk}): '
        "name one with story = <id>"
    )


def test_an_embargo_a_live_story_cannot_honour_fails_the_file(tmp_path, capsys):
    seed = tmp_path / "seed.txt"
    shutil.copyfile(SEED, seed)
    run(seed)
    capsys.readouterr()
    update = write(tmp_path, "update.txt", later_take(embargo="2099-01-01 00:01 GMT"))
    with pytest.raises(CommandError):
        run(update)
    err = capsys.readouterr().err
    assert err.startswith(f"{update}: update 1 embargoed until 2099-01-01 00:01 UTC for “")
    assert "already public: an embargo cannot be honoured now; not applied" in err
    assert Story.objects.get().takes.count() == 1


def test_read_sidecar_gives_the_story_and_slug(tmp_path):
    copy = write(tmp_path, "take.txt", "", "story = 12\n")
    assert read_sidecar(copy).story == 12
    copy.with_suffix(".toml").write_text('slug = " karabakh "\n')
    assert read_sidecar(copy).slug == "karabakh"
    copy.with_suffix(".toml").write_text("story = 0\n")
    with pytest.raises(SidecarError, match="story must be a story's id"):
        read_sidecar(copy)


def test_a_run_of_many_batches_makes_the_stories_before_their_takes(tmp_path, capsys, monkeypatch):
    """Batches of one file: the update listed first still joins the story its first take
    (listed after it) makes, as in one batch; a file that cannot be read keeps its line."""
    from articles.management.commands import import_wire

    monkeypatch.setattr(import_wire, "BATCH_SIZE", 1)
    update = write(tmp_path, "a-update.txt", later_take())
    broken = write(tmp_path, "b-broken.txt", "")
    seed = tmp_path / "c-seed.txt"
    shutil.copyfile(SEED, seed)
    with pytest.raises(CommandError, match="1 of 3 files could not be imported"):
        run(update, broken, seed)
    story = Story.objects.get()
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{seed}: imported as story {story.pk} (published): {HEADLINE}",
        f'{update}: joined "{HEADLINE}" (story {story.pk}) as update 1',
    ]
    assert err.startswith(f"{broken}: ")
    assert story.takes.count() == 2
