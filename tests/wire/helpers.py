"""What the wire parser tests share: the project root, small wire copy, a story's parts."""

from pathlib import Path

from articles import wire

ROOT = Path(__file__).resolve().parents[2]
NO_TIMESTAMP = "no timestamp line: publication time not given"


def copy(
    first: str = "BAKU, Sept 21, 2023 (AFP) - First paragraph.",
    *body: str,
    stamp: str | None = "21 Sep 2023, 09:55",
    headline: str = "Quake hits the capital",
) -> str:
    """Small wire copy: timestamp, headline, first paragraph, then ``body`` lines."""
    lines = [stamp, ""] if stamp is not None else []
    lines += [headline, "", first, *(body or ("Second paragraph.",))]
    return "\n".join(lines) + "\n"


def paragraphs(story: wire.WireStory) -> list[str]:
    """Every paragraph of the story, in order, whatever its section."""
    return [p for section in story.sections for p in section.paragraphs]


def outline(story: wire.WireStory) -> list[tuple[str | None, list[str]]]:
    """The sections as (subheading, paragraphs) pairs."""
    return [(s.subheading, list(s.paragraphs)) for s in story.sections]
