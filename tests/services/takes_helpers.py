"""What the later-take tests share: the seed and the lifecycle samples, and later takes of
the seed made from its own text (a prefix on its headline, a note, a changed paragraph)."""

from pathlib import Path

from articles import services
from articles.models import Story

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "source" / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
SAMPLES = ROOT / "tests" / "wire" / "lifecycle"
HEADLINE = "Azerbaijan claims victory after Karabakh separatists surrender"
STAMP = "21 Sep 2023, 09:55"
OLD_TOLL = "a military operation that they said killed 200 people."
NEW_TOLL = "a military operation that they said killed at least 200 people and wounded 400."


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def later_take(
    prefix: str = "UPDATE 1-",
    *,
    note: str | None = "Adds death toll in paragraph 1",
    stamp: str | None = "21 Sep 2023, 14:10",
    headline: str = HEADLINE,
    place: str = "BAKU",
    credit: str = "BSS/AFP",
    embargo: str | None = None,
    text: tuple[str, str] = (OLD_TOLL, NEW_TOLL),
) -> str:
    """The seed as a later take: ``prefix`` before its headline, ``note`` on the line
    after, its timestamp ``stamp``, a dateline of ``place`` and ``credit``, and the toll in
    its first paragraph changed (``text``)."""
    copy = seed_text()
    lines = [f"{prefix}{headline}"] + ([f"({note})"] if note else [])
    copy = copy.replace(HEADLINE, "\n".join(lines), 1)
    copy = copy.replace("BAKU, Sept 21, 2023 (BSS/AFP)", f"{place}, Sept 21, 2023 ({credit})", 1)
    copy = copy.replace(*text, 1)
    head = [f"EMBARGO: {embargo}", ""] if embargo else []
    copy = copy.replace(STAMP + "\n\n", "", 1) if stamp is None else copy.replace(STAMP, stamp, 1)
    return "\n".join(head) + copy


def import_seed(*, publish: bool = True, **options) -> Story:
    return services.import_wire_copy(data=seed_text(), publish=publish, **options).story


def first_paragraph(story: Story) -> str:
    return Story.objects.get(pk=story.pk).sections.order_by("position")[0].paragraphs[0]
