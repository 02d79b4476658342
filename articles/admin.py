"""Where Django's admin looks for registrations: the desk (``articles/desk/``) makes them."""

from articles.desk import stories, tags, wire_desk  # noqa: F401
