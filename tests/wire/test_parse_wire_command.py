"""``manage.py parse_wire``: JSON out, one-line errors, no database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "source" / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"


def run(*args: str | Path, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py as a user would, in a separate process."""
    return subprocess.run(
        [sys.executable, "manage.py", "parse_wire", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_prints_the_seed_in_the_designed_shape(capsys):
    """The JSON has exactly the design's keys and the seed's structure; no database."""
    call_command("parse_wire", SEED)
    data = json.loads(capsys.readouterr().out)
    assert list(data) == [
        "headline",
        "published_at",
        "dateline",
        "sections",
        "tags",
        "kind",
        "revision",
        "note",
        "embargo",
    ]
    assert (data["kind"], data["revision"], data["note"], data["embargo"]) == (
        "original",
        None,
        None,
        None,
    )
    assert data["headline"] == "Azerbaijan claims victory after Karabakh separatists surrender"
    assert data["published_at"] == "2023-09-21T09:55:00+06:00"
    assert data["dateline"] == {"place": "BAKU", "date": "2023-09-21", "credit": "BSS/AFP"}
    assert [(s["subheading"], len(s["paragraphs"])) for s in data["sections"]] == [
        (None, 9),
        ("Truce deal", 14),
        ("'War is over'", 10),
        ("International pressure", 4),
    ]
    assert data["sections"][0]["paragraphs"][0].startswith("Azerbaijan said Wednesday it had")
    assert all(isinstance(tag, str) for tag in data["tags"])
    assert "Azerbaijan" in data["tags"]


def test_several_files_give_a_list(capsys, tmp_path):
    """One object per file, in a JSON list."""
    other = tmp_path / "other.txt"
    other.write_text("Quake hits coast\n\nLIMA (AFP) - A strong quake struck.\n")
    call_command("parse_wire", SEED, other)
    data = json.loads(capsys.readouterr().out)
    assert [d["headline"] for d in data] == [
        "Azerbaijan claims victory after Karabakh separatists surrender",
        "Quake hits coast",
    ]
    assert data[1]["dateline"] == {"place": "LIMA", "date": None, "credit": "AFP"}
    assert data[1]["published_at"] is None


def test_warnings_go_to_stderr_not_into_the_json(capsys, tmp_path):
    """Copy without a dateline parses, with a warning beside the JSON."""
    copy = tmp_path / "plain.txt"
    copy.write_text("Plain headline\n\nJust a paragraph.\n")
    call_command("parse_wire", copy)
    out, err = capsys.readouterr()
    assert json.loads(out)["dateline"] is None
    assert "warning: no dateline found (line 3)" in err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty input"),
        (b"   \n\t\n  \r\n", "empty input"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary data"),
        (b"Headline\n\n\xff\xfe broken", "not UTF-8 text"),
        ("Quake hits coast\n\nLIMA (AFP) - A quake.\n".encode("utf-16"), "UTF-16 text"),
    ],
    ids=["empty", "whitespace", "binary", "not-utf8", "utf-16"],
)
def test_rejected_input_exits_1_with_one_line_and_no_traceback(tmp_path, content, message):
    """Input it rejects: exit status 1, one line on stderr naming file and problem."""
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = run(bad, DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert str(bad) in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_is_a_clear_error(tmp_path):
    """A path that does not exist is named, not a traceback."""
    with pytest.raises(CommandError, match="No such file or directory"):
        call_command("parse_wire", tmp_path / "nope.txt")


@pytest.mark.slow
def test_the_seed_parses_in_a_process_that_has_no_database():
    """The command never opens the database (here it points at a closed port)."""
    result = run(SEED, DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dateline"]["place"] == "BAKU"
