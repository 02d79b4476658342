"""The README's configuration table keeps up with the variables the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# newsroom/settings.py reads Django's settings, newsroom/gunicorn.py the server's.
CONFIG_FILES = [ROOT / "newsroom" / "settings.py", ROOT / "newsroom" / "gunicorn.py"]

# os.environ.get("X"), os.environ["X"], os.getenv("X"), env_bool("X", ...) and the like.
_READ = re.compile(
    r"""(?:os\.environ\.get|os\.environ\[|os\.getenv|\benv_\w+)\(?\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def variables_read(source: str) -> set[str]:
    """The environment variables a settings module reads, by name."""
    names = set(_READ.findall(source))
    if "dj_database_url.config(" in source:
        names.add("DATABASE_URL")  # dj-database-url reads it by default
    return names


def table_variables(readme: str) -> set[str]:
    """The variables named in the first column of the README's configuration table."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


def read_by_settings() -> set[str]:
    """Every variable the settings and the server's settings read."""
    return set().union(
        *(variables_read(path.read_text(encoding="utf-8")) for path in CONFIG_FILES)
    )


def readme_table() -> set[str]:
    """The variables the README's configuration table lists."""
    return table_variables((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_scan_finds_every_way_of_reading_a_variable():
    """The scan sees environ.get, environ[...], getenv, the env_* helpers and DATABASE_URL."""
    source = (
        'A = os.environ.get("ONE", "")\nB = os.environ["TWO"]\nC = os.getenv("THREE")\n'
        "D = env_bool(\n    \"FOUR\", True\n)\nE = f\"{os.environ.get('FIVE', '1')}\"\n"
        "F = dj_database_url.config(default='sqlite://')\nG = 'NOT_READ'\n"
    )
    assert variables_read(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE", "DATABASE_URL"}


def test_the_settings_read_the_variables_we_know_of():
    """The scan of the real settings finds what they certainly read, SECURE_SSL_REDIRECT too."""
    known = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "SECURE_SSL_REDIRECT"}
    assert known <= read_by_settings()


def test_the_configuration_table_lists_every_variable_the_settings_read():
    """No variable that the settings read is missing from the README's table."""
    assert sorted(read_by_settings() - readme_table()) == []


def test_the_configuration_table_lists_no_variable_nobody_reads():
    """No row of the README's table names a variable that the settings no longer read."""
    assert sorted(readme_table() - read_by_settings()) == []
