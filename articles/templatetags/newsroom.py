"""Template filters for the Django templates: the admin's wire desk and the news sitemap.

The readers' pages are Jinja2 templates; their filters and globals are in newsroom/jinja2.py.
"""

from django import template

from articles.site.structured_data import iso_seconds

register = template.Library()


@register.filter
def isotime(value) -> str:
    """A time as HTML's datetime attribute and schema.org want it: ISO 8601 to the second."""
    return iso_seconds(value) if value else ""
