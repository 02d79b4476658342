"""On SQLite, a full-text index of the stories that the database keeps current by itself.

Frozen: the SQL is written out here as it was when this migration was made. PostgreSQL is
left alone (its stored vector and lexicon come from ``articles.search.indexing``). On SQLite
it makes, and fills from the stories already there:

- ``articles_story_fts``, an FTS5 table with one row per story (its ``rowid`` is the
  story's id) and four columns, as PostgreSQL's weights A to D: ``headline``,
  ``subheadings``, ``body`` (standfirst, then paragraphs) and ``keywords`` (dateline place
  and tag names), stemmed by the ``porter`` tokenizer. It keeps its own copy of the text,
  so a row is forgotten by its id alone: contentless deletes need SQLite 3.43, and an
  external-content table must be given back, on every delete, exactly the text it indexed,
  which text assembled from four tables cannot promise;
- ``articles_story_fts_words``, the same text unstemmed, contentless and without positions,
  and ``articles_story_fts_vocab`` (``fts5vocab``) over it: the words of the archive as
  written, for typo tolerance (a stem such as ``acceler`` would be stemmed again if asked
  for in a query, and find nothing); ``articles_story_fts_state`` holds the vocabulary's
  version, a new random number at every change, so that a process may keep the words it
  read until they change;
- triggers on the story, section, tag row and tag tables that re-index a story whenever
  its text changes, whoever writes (the desk, the shell, ``loaddata``, ``QuerySet.update``,
  SQL by hand). A re-index forgets the story's row and writes it again; an insert is
  written as ``VALUES`` with subqueries, which FTS5 takes about three times faster than
  ``INSERT ... SELECT``.

A later migration that makes SQLite rebuild ``articles_story``, ``articles_section``,
``articles_taggedstory`` or ``taggit_tag`` (adding a non-null field, for one) drops their
triggers and must make them again, copying ``TRIGGERS`` below.
"""

from django.db import migrations

FTS = "articles_story_fts"
WORDS = "articles_story_fts_words"
VOCAB = "articles_story_fts_vocab"
STATE = "articles_story_fts_state"
NEW_VERSION = f"UPDATE {STATE} SET vocabulary_version = random();"
NL = "char(10)"


def story_text(sid):
    """The four columns of story ``sid`` (an SQL expression), as scalar subqueries."""
    sections = "FROM articles_section WHERE story_id = {sid}{extra} ORDER BY position"
    tags = (
        "FROM articles_taggedstory ts JOIN taggit_tag t ON t.id = ts.tag_id "
        f"WHERE ts.content_object_id = {sid} ORDER BY t.name"
    )
    return [
        f"(SELECT headline FROM articles_story WHERE id = {sid})",
        f"coalesce((SELECT group_concat(subheading, {NL}) FROM (SELECT subheading "
        + sections.format(sid=sid, extra=" AND subheading <> ''")
        + ")), '')",
        f"coalesce((SELECT standfirst FROM articles_story WHERE id = {sid}), '') "
        f"|| {NL} || {NL} || coalesce((SELECT group_concat(body, {NL} || {NL}) FROM (SELECT body "
        + sections.format(sid=sid, extra="")
        + ")), '')",
        f"coalesce((SELECT dateline_place FROM articles_story WHERE id = {sid}), '') || {NL} "
        f"|| coalesce((SELECT group_concat(name, {NL}) FROM (SELECT t.name {tags})), '')",
    ]


# The words table holds the four columns as one text, read back from the FTS row: a delete
# must give the contentless table exactly the text it was given.
WORDS_TEXT = f"headline || {NL} || subheadings || {NL} || body || {NL} || keywords"


def forget(sid):
    return [
        f"INSERT INTO {WORDS} ({WORDS}, rowid, words) "
        f"SELECT 'delete', rowid, {WORDS_TEXT} FROM {FTS} WHERE rowid = {sid};",
        f"DELETE FROM {FTS} WHERE rowid = {sid};",
    ]


def index(sid):
    return [
        f"INSERT INTO {FTS} (rowid, headline, subheadings, body, keywords) "
        f"VALUES ({sid}, {', '.join(story_text(sid))});",
        f"INSERT INTO {WORDS} (rowid, words) "
        f"VALUES ({sid}, (SELECT {WORDS_TEXT} FROM {FTS} WHERE rowid = {sid}));",
    ]


def refresh(sid):
    return forget(sid) + index(sid)


def trigger(name, event, statements, when=None):
    """(The trigger's name, the SQL that makes it). Every one changes the words, so every
    one gives the vocabulary a new version."""
    name = f"{FTS}_{name}"
    condition = f"\nWHEN {when}" if when else ""
    body = "\n    ".join([*statements, NEW_VERSION])
    return name, f"CREATE TRIGGER {name} AFTER {event}{condition}\nBEGIN\n    {body}\nEND"


def exists(sid):
    return f"EXISTS (SELECT 1 FROM articles_story WHERE id = {sid})"


def changed(*columns):
    return " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns)


TABLES = [
    f"""CREATE VIRTUAL TABLE {FTS} USING fts5(
        headline, subheadings, body, keywords,
        tokenize = 'porter unicode61 remove_diacritics 2'
    )""",
    f"""CREATE VIRTUAL TABLE {WORDS} USING fts5(
        words, content = '', detail = 'none', columnsize = 0,
        tokenize = 'unicode61 remove_diacritics 2'
    )""",
    f"CREATE VIRTUAL TABLE {VOCAB} USING fts5vocab({WORDS}, 'row')",
    f"""CREATE TABLE {STATE} (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        vocabulary_version INTEGER NOT NULL
    )""",
    f"INSERT INTO {STATE} (id, vocabulary_version) VALUES (1, random())",
]

TRIGGERS = dict(
    [
        trigger("story_insert", "INSERT ON articles_story", index("NEW.id")),
        trigger(
            "story_update",
            "UPDATE OF id, headline, standfirst, dateline_place ON articles_story",
            forget("OLD.id") + index("NEW.id"),
            when=changed("id", "headline", "standfirst", "dateline_place"),
        ),
        trigger("story_delete", "DELETE ON articles_story", forget("OLD.id")),
        trigger(
            "section_insert",
            "INSERT ON articles_section",
            refresh("NEW.story_id"),
            when=exists("NEW.story_id"),
        ),
        trigger(
            "section_update",
            "UPDATE OF story_id, position, subheading, body ON articles_section",
            refresh("NEW.story_id"),
            when=f"({changed('story_id', 'position', 'subheading', 'body')}) "
            f"AND {exists('NEW.story_id')}",
        ),
        trigger(
            "section_move",
            "UPDATE OF story_id ON articles_section",
            refresh("OLD.story_id"),
            when=f"OLD.story_id IS NOT NEW.story_id AND {exists('OLD.story_id')}",
        ),
        trigger(
            "section_delete",
            "DELETE ON articles_section",
            refresh("OLD.story_id"),
            when=exists("OLD.story_id"),
        ),
        trigger(
            "tagged_insert",
            "INSERT ON articles_taggedstory",
            refresh("NEW.content_object_id"),
            when=exists("NEW.content_object_id"),
        ),
        trigger(
            "tagged_update",
            "UPDATE OF tag_id, content_object_id ON articles_taggedstory",
            refresh("NEW.content_object_id"),
            when=f"({changed('tag_id', 'content_object_id')}) AND {exists('NEW.content_object_id')}",
        ),
        trigger(
            "tagged_move",
            "UPDATE OF content_object_id ON articles_taggedstory",
            refresh("OLD.content_object_id"),
            when=f"OLD.content_object_id IS NOT NEW.content_object_id "
            f"AND {exists('OLD.content_object_id')}",
        ),
        trigger(
            "tagged_delete",
            "DELETE ON articles_taggedstory",
            refresh("OLD.content_object_id"),
            when=exists("OLD.content_object_id"),
        ),
        # A renamed tag: every story that carries it, so a set rather than one id.
        trigger(
            "tag_rename",
            "UPDATE OF name ON taggit_tag",
            [
                f"INSERT INTO {WORDS} ({WORDS}, rowid, words) "
                f"SELECT 'delete', rowid, {WORDS_TEXT} FROM {FTS} WHERE rowid IN "
                "(SELECT content_object_id FROM articles_taggedstory WHERE tag_id = NEW.id);",
                f"DELETE FROM {FTS} WHERE rowid IN "
                "(SELECT content_object_id FROM articles_taggedstory WHERE tag_id = NEW.id);",
                f"INSERT INTO {FTS} (rowid, headline, subheadings, body, keywords) "
                f"SELECT s.id, {', '.join(story_text('s.id'))} FROM articles_story s "
                "WHERE s.id IN "
                "(SELECT content_object_id FROM articles_taggedstory WHERE tag_id = NEW.id);",
                f"INSERT INTO {WORDS} (rowid, words) SELECT rowid, {WORDS_TEXT} FROM {FTS} "
                "WHERE rowid IN "
                "(SELECT content_object_id FROM articles_taggedstory WHERE tag_id = NEW.id);",
            ],
            when="OLD.name IS NOT NEW.name",
        ),
    ]
)

FILL = [
    f"INSERT INTO {FTS} (rowid, headline, subheadings, body, keywords) "
    f"SELECT s.id, {', '.join(story_text('s.id'))} FROM articles_story s",
    f"INSERT INTO {WORDS} (rowid, words) SELECT rowid, {WORDS_TEXT} FROM {FTS}",
    NEW_VERSION,
]

UNDONE = [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS] + [
    f"DROP TABLE IF EXISTS {STATE}",
    f"DROP TABLE IF EXISTS {VOCAB}",
    f"DROP TABLE IF EXISTS {WORDS}",
    f"DROP TABLE IF EXISTS {FTS}",
]


def on_sqlite(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [("articles", "0011_section_body_html")]

    operations = [
        migrations.RunPython(
            on_sqlite(TABLES + list(TRIGGERS.values()) + FILL), on_sqlite(UNDONE)
        ),
    ]
