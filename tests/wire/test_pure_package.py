"""A pure package: no module of articles/wire imports Django, and importing it loads none."""

import ast
import subprocess
import sys

import pytest

from tests.wire.helpers import ROOT

WIRE_PACKAGE = ROOT / "articles" / "wire"


def django_imports(source: str) -> list[str]:
    """The modules from Django that ``source`` imports, by its import statements."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [name for name in names if name.split(".")[0] == "django"]
    return found


def test_the_import_scan_finds_django():
    """The scan below would notice ``import django`` and ``from django... import``."""
    source = "import os, django.utils\nfrom django.conf import settings\nfrom . import x\n"
    assert django_imports(source) == ["django.utils", "django.conf"]


def test_the_wire_package_has_no_django_import_statements():
    """No module of ``articles/wire/`` imports Django, so the parser stays a pure function."""
    modules = sorted(WIRE_PACKAGE.glob("*.py"))
    assert {path.name for path in modules} >= {"__init__.py", "parser.py"}
    found = {
        path.name: names
        for path in modules
        if (names := django_imports(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.slow
def test_importing_the_wire_package_loads_no_django():
    """A fresh interpreter that imports ``articles.wire`` has loaded no Django module."""
    script = (
        "import sys; import articles.wire; "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(loaded); assert not loaded"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "[]"
