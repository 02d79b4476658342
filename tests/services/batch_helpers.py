"""What the batch import tests share: the seed copy under headlines of its own, as files."""

from pathlib import Path

from articles import services

SEED = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "source"
    / "afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
)
HEADLINE = "Azerbaijan claims victory after Karabakh separatists surrender"


def variant(n: int, headline: str | None = None) -> str:
    """The seed copy with a headline of its own (so a checksum of its own)."""
    text = SEED.read_text(encoding="utf-8")
    return text.replace(HEADLINE, headline or f"{HEADLINE}, take {n}", 1)


def wire_copy(n: int, *, headline: str | None = None, **options) -> services.WireCopy:
    return services.WireCopy(services.parse_copy(variant(n, headline)), **options)


def write_files(folder: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = folder / f"{n:03}.txt"
        path.write_text(variant(n), encoding="utf-8")
        paths.append(path)
    return paths
