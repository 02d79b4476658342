"""The editors' desk: the story admin and its tools, one module each."""

from articles.admin import stories, tags, wire_desk  # noqa: F401
