"""Template pieces shared by every public page."""

from django import template

from articles.models import Story
from articles.structured_data import iso_seconds

register = template.Library()


@register.inclusion_tag("includes/latest_news.html")
def latest_news(count: int = 5):
    """The newest published stories, for the sidebar every page carries."""
    stories = Story.objects.published().only("headline", "slug", "published_at")[:count]
    return {"stories": stories}


@register.filter
def isotime(value) -> str:
    """A time as HTML's datetime attribute and schema.org want it: ISO 8601 to the second."""
    return iso_seconds(value) if value else ""
