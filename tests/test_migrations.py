"""Migrations are frozen, and a migrated database has what the models cannot declare.

Migrating from zero, back to zero and forward again, and over a database made by the old
migrations 0001-0010, is checked by hand on both vendors (too heavy for every test run).
"""

import ast
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection

from articles.roles import ROLES

MIGRATIONS = Path(import_module("articles.migrations").__file__).parent
SQUASHED = import_module("articles.migrations.0001_squashed_0010_ascii_slugs")

TAG_TRIGGERS = {
    "sqlite": {
        ("articles_taggedstory_copy_time_insert", "articles_taggedstory"),
        ("articles_taggedstory_copy_time_update", "articles_taggedstory"),
        ("articles_story_copy_time_insert", "articles_story"),
        ("articles_story_copy_time_update", "articles_story"),
    },
    "postgresql": {
        ("articles_taggedstory_copy_time", "articles_taggedstory"),
        ("articles_story_copy_time_insert", "articles_story"),
        ("articles_story_copy_time_update", "articles_story"),
    },
}
GIN_INDEXES = {
    "articles_story_search_gin": "USING gin (search_vector)",
    "articles_searchword_trgm": "USING gin (word gin_trgm_ops)",
}


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, relative ones with their dots, and the names it hands
    to ``import_module`` or ``__import__``."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Call) and called(node) in {"import_module", "__import__"}:
            names += [arg.value for arg in node.args[:1] if isinstance(arg, ast.Constant)]
    return names


def called(call: ast.Call) -> str:
    """The name of the function called: ``f`` in ``f(...)`` and in ``module.f(...)``."""
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_migrations_import_no_app_code():
    """No migration imports from ``articles`` (nor relatively): app changes cannot change them."""
    files = sorted(MIGRATIONS.glob("0*.py"))
    assert len(files) >= 2
    app_code = {
        path.name: name
        for path in files
        for name in imported_modules(path)
        if name == "articles" or name.startswith(("articles.", "."))
    }
    assert app_code == {}


def test_the_squashed_migration_stands_for_the_ten_it_replaces():
    """Databases that applied 0001-0010 carry on; 0011 follows the squashed migration."""
    replaced = [name for _, name in SQUASHED.Migration.replaces]
    assert replaced[0] == "0001_initial" and replaced[-1] == "0010_ascii_slugs"
    assert [name[:4] for name in replaced] == [f"{n:04d}" for n in range(1, 11)]
    following = import_module("articles.migrations.0011_section_body_html").Migration
    assert following.dependencies == [("articles", SQUASHED.__name__.rpartition(".")[2])]


@pytest.mark.django_db
def test_models_declare_nothing_the_migrations_lack():
    """``makemigrations --check`` finds no change to write (it exits 1 when it does)."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_migrate_makes_the_tag_triggers():
    """The triggers that keep ``TaggedStory.story_published_at`` exist, on their tables."""
    if connection.vendor == "sqlite":
        found = rows("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
    else:
        found = rows(
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
        )
    assert TAG_TRIGGERS[connection.vendor] <= set(found)


@pytest.mark.django_db
def test_migrate_makes_the_gin_indexes_and_row_storage_on_postgresql():
    """PostgreSQL gets pg_trgm, the two GIN indexes and the search vector kept in its row;
    the documents' trigram index, which no query used, is gone (migration 0013)."""
    if connection.vendor != "postgresql":
        pytest.skip("GIN indexes, pg_trgm and TOAST settings exist on PostgreSQL only")
    assert rows("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'") == [(1,)]
    indexes = dict(
        rows(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [list(GIN_INDEXES)],
        )
    )
    assert set(indexes) == set(GIN_INDEXES)
    assert rows("SELECT 1 FROM pg_indexes WHERE indexname = 'articles_story_document_trgm'") == []
    for name, using in GIN_INDEXES.items():
        assert using in indexes[name].replace("public.", "")
    ((options,),) = rows("SELECT reloptions FROM pg_class WHERE relname = 'articles_story'")
    assert "toast_tuple_target=4080" in options
    storage = rows(
        "SELECT attstorage FROM pg_attribute"
        " WHERE attrelid = 'articles_story'::regclass AND attname = 'search_vector'"
    )
    assert storage == [("m",)]


def test_the_migration_holds_the_roles_the_app_restores():
    """The squashed migration's copy of the roles is ``articles.roles.ROLES``."""
    assert {name: set(codenames) for name, codenames in SQUASHED.ROLES.items()} == {
        name: set(codenames) for name, codenames in ROLES.items()
    }


@pytest.mark.django_db
def test_the_migration_gives_the_roles_django_s_own_permissions():
    """Its permissions are the rows Django makes (same content type, codename and name), and
    the groups it makes hold exactly the roles' permissions."""
    for app_label, model, codename, name in SQUASHED.PERMISSIONS:
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        assert (permission.content_type.model, permission.name) == (model, name)
    Group.objects.filter(name__in=ROLES).delete()
    SQUASHED.create_roles(apps, SimpleNamespace(connection=connection))
    held = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.filter(name__in=ROLES)
    }
    assert held == {name: set(codenames) for name, codenames in ROLES.items()}
