"""Stories, sections, tags and search words, as migrations 0001 to 0010 left them.

Frozen: it imports nothing from the app. What the old ones took from app code (triggers,
roles) is written out here as it was, so later changes to the app cannot change it.

A database that applied 0001-0010 has this one marked as applied too (``replaces``); one
that applied only some must first be migrated to 0010 by a release that has them (up to
commit c2603e2). On a new database it makes:

- the tables the models declare (0001, 0002, 0004-0007, 0009);
- on PostgreSQL, the pg_trgm extension and the GIN indexes on ``Story.search_vector``,
  ``Story.search_document`` (trigrams; 0005) and ``SearchWord.word`` (trigrams; 0007), and
  ``search_vector`` kept in the story's row (0008). Not in the models' Meta: SQLite has no
  GIN and would try to build them whenever it rebuilds a table;
- the triggers that keep ``TaggedStory.story_published_at`` (0009), on PostgreSQL and
  SQLite. A later migration that makes SQLite rebuild ``articles_story`` or
  ``articles_taggedstory`` (adding a non-null field, for one) drops their triggers and must
  make them again, copying ``TRIGGERS`` below;
- the Reporter and Editor groups with their permissions (0003, 0006): ``ROLES`` below.

The old data fixes are left out, as a new database has no rows to mend: place slugs (0004),
stored search fields (0005), search words (0007), the tag rows' time (0009), ASCII slugs
for tags and places (0010).
"""

import taggit.managers
from django.contrib.postgres.search import SearchVectorField
from django.db import NotSupportedError, migrations, models

# PostgreSQL only, undone in reverse order. The vector is kept in the story's row so that
# counting and ranking matches reads no TOAST; the long search_document moves out instead.
POSTGRES_SEARCH = [
    "CREATE INDEX articles_story_search_gin ON articles_story USING gin (search_vector)",
    "CREATE INDEX articles_story_document_trgm ON articles_story "
    "USING gin (search_document gin_trgm_ops)",
    "CREATE INDEX articles_searchword_trgm ON articles_searchword USING gin (word gin_trgm_ops)",
    "ALTER TABLE articles_story SET (toast_tuple_target = 4080)",
    "ALTER TABLE articles_story ALTER COLUMN search_vector SET STORAGE MAIN",
]
POSTGRES_SEARCH_UNDONE = [
    "ALTER TABLE articles_story ALTER COLUMN search_vector SET STORAGE EXTENDED",
    "ALTER TABLE articles_story RESET (toast_tuple_target)",
    "DROP INDEX IF EXISTS articles_searchword_trgm",
    "DROP INDEX IF EXISTS articles_story_document_trgm",
    "DROP INDEX IF EXISTS articles_story_search_gin",
]

# The tag rows' copy of their story's time (NULL unless the story is published). PostgreSQL
# sets the new row's copy before it is written; SQLite, which cannot, updates the row just
# written (its recursive triggers are off, so that update fires no trigger again).
TRIGGERS = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION articles_taggedstory_copy_time() RETURNS trigger AS $$
        BEGIN
            NEW.story_published_at := (
                SELECT CASE WHEN s.status = 'published' THEN s.published_at END
                FROM articles_story s WHERE s.id = NEW.content_object_id
            );
            RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE TRIGGER articles_taggedstory_copy_time
        BEFORE INSERT OR UPDATE ON articles_taggedstory
        FOR EACH ROW EXECUTE FUNCTION articles_taggedstory_copy_time()""",
        """CREATE OR REPLACE FUNCTION articles_story_copy_time() RETURNS trigger AS $$
        BEGIN
            UPDATE articles_taggedstory
            SET story_published_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
            WHERE content_object_id = NEW.id;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE TRIGGER articles_story_copy_time_insert
        AFTER INSERT ON articles_story
        FOR EACH ROW EXECUTE FUNCTION articles_story_copy_time()""",
        """CREATE OR REPLACE TRIGGER articles_story_copy_time_update
        AFTER UPDATE OF status, published_at ON articles_story
        FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.published_at IS DISTINCT FROM NEW.published_at)
        EXECUTE FUNCTION articles_story_copy_time()""",
    ],
    "sqlite": [
        *(
            f"""CREATE TRIGGER IF NOT EXISTS articles_taggedstory_copy_time_{event.lower()}
        AFTER {event} ON articles_taggedstory
        BEGIN
            UPDATE articles_taggedstory SET story_published_at = (
                SELECT CASE WHEN s.status = 'published' THEN s.published_at END
                FROM articles_story s WHERE s.id = NEW.content_object_id
            ) WHERE id = NEW.id;
        END"""
            for event in ("INSERT", "UPDATE")
        ),
        """CREATE TRIGGER IF NOT EXISTS articles_story_copy_time_insert
        AFTER INSERT ON articles_story
        BEGIN
            UPDATE articles_taggedstory
            SET story_published_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
            WHERE content_object_id = NEW.id;
        END""",
        """CREATE TRIGGER IF NOT EXISTS articles_story_copy_time_update
        AFTER UPDATE OF status, published_at ON articles_story
        WHEN OLD.status IS NOT NEW.status OR OLD.published_at IS NOT NEW.published_at
        BEGIN
            UPDATE articles_taggedstory
            SET story_published_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
            WHERE content_object_id = NEW.id;
        END""",
    ],
}
DROP_TRIGGERS = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS articles_taggedstory_copy_time ON articles_taggedstory",
        "DROP TRIGGER IF EXISTS articles_story_copy_time_insert ON articles_story",
        "DROP TRIGGER IF EXISTS articles_story_copy_time_update ON articles_story",
        "DROP FUNCTION IF EXISTS articles_taggedstory_copy_time()",
        "DROP FUNCTION IF EXISTS articles_story_copy_time()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS articles_taggedstory_copy_time_insert",
        "DROP TRIGGER IF EXISTS articles_taggedstory_copy_time_update",
        "DROP TRIGGER IF EXISTS articles_story_copy_time_insert",
        "DROP TRIGGER IF EXISTS articles_story_copy_time_update",
    ],
}

# (app label, model, codename, name) of every permission the roles hold.
PERMISSIONS = [
    ("articles", "story", "add_story", "Can add story"),
    ("articles", "story", "change_story", "Can change story"),
    ("articles", "story", "delete_story", "Can delete story"),
    ("articles", "story", "view_story", "Can view story"),
    ("articles", "story", "publish_story", "Can publish, schedule and unpublish stories"),
    ("articles", "section", "add_section", "Can add section"),
    ("articles", "section", "change_section", "Can change section"),
    ("articles", "section", "delete_section", "Can delete section"),
    ("articles", "section", "view_section", "Can view section"),
    ("articles", "taggedstory", "add_taggedstory", "Can add story tag"),
    ("articles", "taggedstory", "change_taggedstory", "Can change story tag"),
    ("articles", "taggedstory", "delete_taggedstory", "Can delete story tag"),
    ("articles", "taggedstory", "view_taggedstory", "Can view story tag"),
    ("taggit", "tag", "add_tag", "Can add tag"),
    ("taggit", "tag", "change_tag", "Can change tag"),
    ("taggit", "tag", "delete_tag", "Can delete tag"),
    ("taggit", "tag", "view_tag", "Can view tag"),
]
# Reporters write drafts (and may drop a section); Editors do everything with stories.
ROLES = {
    "Reporter": """add_story change_story view_story add_section change_section delete_section
    view_section add_taggedstory change_taggedstory view_taggedstory add_tag view_tag""".split(),
    "Editor": [codename for _, _, codename, _ in PERMISSIONS],
}


def on_postgresql(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


def by_vendor(statements):
    def operation(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise NotSupportedError(f"The tag-time triggers exist for {', '.join(statements)}.")
        for statement in statements[vendor]:
            schema_editor.execute(statement)

    return operation


def create_roles(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = {}
    for app_label, model, codename, name in PERMISSIONS:
        content_type, _ = ContentType.objects.using(db).get_or_create(
            app_label=app_label, model=model
        )
        permissions[codename], _ = Permission.objects.using(db).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    for name, codenames in ROLES.items():
        group, _ = Group.objects.using(db).get_or_create(name=name)
        group.permissions.set([permissions[codename] for codename in codenames])


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


def big_id():
    return models.BigAutoField(
        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
    )


HELP = {
    "slug": "The last part of the story's address. Unique for its publication date.",
    "standfirst": "Optional summary shown under the headline and in search results.",
    "byline": "Optional, e.g. Jane Doe.",
    "time": "Readers see a published story from this time on. A time in the future schedules it.",
    "dateline_place": "Where it was filed: BAKU.",
    "dateline_date": "The date in the dateline.",
    "dateline_credit": "The agency credit: AFP, BSS/AFP.",
    "source_text": "The wire copy exactly as it arrived. Kept for provenance; never edited.",
    "source_checksum": "SHA-256 of the source text; the same copy is never imported twice.",
    "version": "Goes up by one with every save; a save based on an older version is refused, "
    "so no one overwrites a colleague's changes unseen.",
    "place_slug": "The dateline place in an address (baku); kept in step with the place.",
    "subheading": "Leave blank for the lead section.",
    "body": "Plain text. Separate paragraphs with a blank line.",
    "copy": "Kept by database triggers.",
}
STATUS = [("draft", "Draft"), ("published", "Published")]
STORY = [
    ("id", big_id()),
    ("headline", models.CharField(max_length=300)),
    (
        "slug",
        models.SlugField(max_length=120, unique_for_date="published_at", help_text=HELP["slug"]),
    ),
    ("standfirst", models.TextField(blank=True, help_text=HELP["standfirst"])),
    ("byline", models.CharField(blank=True, help_text=HELP["byline"], max_length=200)),
    ("status", models.CharField(choices=STATUS, db_index=True, default="draft", max_length=10)),
    (
        "published_at",
        models.DateTimeField(
            "publication time", blank=True, db_index=True, help_text=HELP["time"], null=True
        ),
    ),
    ("created_at", models.DateTimeField(auto_now_add=True)),
    ("updated_at", models.DateTimeField(auto_now=True)),
    (
        "dateline_place",
        models.CharField(
            "dateline place", blank=True, help_text=HELP["dateline_place"], max_length=80
        ),
    ),
    (
        "dateline_date",
        models.DateField("dateline date", blank=True, help_text=HELP["dateline_date"], null=True),
    ),
    (
        "dateline_credit",
        models.CharField("credit", blank=True, help_text=HELP["dateline_credit"], max_length=40),
    ),
    ("source_text", models.TextField(blank=True, help_text=HELP["source_text"])),
    (
        "source_checksum",
        models.CharField(
            blank=True, editable=False, help_text=HELP["source_checksum"], max_length=64
        ),
    ),
    (
        "version",
        models.PositiveIntegerField(default=1, editable=False, help_text=HELP["version"]),
    ),
    (
        "place_slug",
        models.SlugField(blank=True, editable=False, help_text=HELP["place_slug"], max_length=80),
    ),
    ("search_document", models.TextField(default="", editable=False, serialize=False)),
    ("search_vector", SearchVectorField(editable=False, null=True, serialize=False)),
]
TAGGED_STORY = [
    ("id", big_id()),
    ("content_object", models.ForeignKey(on_delete=models.CASCADE, to="articles.story")),
    (
        "tag",
        models.ForeignKey(
            on_delete=models.CASCADE, related_name="%(app_label)s_%(class)s_items", to="taggit.tag"
        ),
    ),
    (
        "story_published_at",
        models.DateTimeField(editable=False, help_text=HELP["copy"], null=True, serialize=False),
    ),
]
SECTION = [
    ("id", big_id()),
    ("position", models.PositiveSmallIntegerField(default=0)),
    ("subheading", models.CharField(blank=True, help_text=HELP["subheading"], max_length=200)),
    ("body", models.TextField("paragraphs", blank=True, help_text=HELP["body"])),
    (
        "story",
        models.ForeignKey(on_delete=models.CASCADE, related_name="sections", to="articles.story"),
    ),
]


class Migration(migrations.Migration):
    replaces = [
        ("articles", "0001_initial"),
        ("articles", "0002_story_version"),
        ("articles", "0003_editor_groups"),
        ("articles", "0004_story_place_slug"),
        ("articles", "0005_story_search"),
        ("articles", "0006_section_body_optional_reporters_drop_sections"),
        ("articles", "0007_searchword"),
        ("articles", "0008_story_search_vector_inline"),
        ("articles", "0009_taggedstory_story_published_at"),
        ("articles", "0010_ascii_slugs"),
    ]

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [
        migrations.RunPython(
            on_postgresql(["CREATE EXTENSION IF NOT EXISTS pg_trgm"]),
            on_postgresql(["DROP EXTENSION IF EXISTS pg_trgm"]),
        ),
        migrations.CreateModel(
            name="Story",
            fields=STORY,
            options={
                "verbose_name_plural": "stories",
                "ordering": ["-published_at", "-pk"],
                "get_latest_by": "published_at",
                "permissions": [("publish_story", "Can publish, schedule and unpublish stories")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("source_checksum", ""), _negated=True),
                        fields=("source_checksum",),
                        name="unique_story_source",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TaggedStory",
            fields=TAGGED_STORY,
            options={
                "verbose_name": "story tag",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("content_object", "tag"), name="unique_story_tag"
                    )
                ],
                "indexes": [
                    models.Index(
                        condition=models.Q(("story_published_at__isnull", False)),
                        fields=["tag", "-story_published_at", "-content_object"],
                        name="articles_tag_published_idx",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="story",
            name="tags",
            field=taggit.managers.TaggableManager(
                blank=True,
                help_text="A comma-separated list of tags.",
                through="articles.TaggedStory",
                to="taggit.Tag",
                verbose_name="Tags",
            ),
        ),
        migrations.CreateModel(
            name="Section",
            fields=SECTION,
            options={
                "ordering": ["story", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("story", "position"), name="unique_section_position"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[("word", models.TextField(primary_key=True, serialize=False))],
            options={"verbose_name": "search word"},
        ),
        migrations.RunPython(
            on_postgresql(POSTGRES_SEARCH), on_postgresql(POSTGRES_SEARCH_UNDONE)
        ),
        migrations.RunPython(by_vendor(TRIGGERS), by_vendor(DROP_TRIGGERS)),
        migrations.RunPython(create_roles, remove_roles),
    ]
