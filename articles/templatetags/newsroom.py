"""Template pieces shared by every public page."""

from django import template

from articles.models import Story

register = template.Library()


@register.inclusion_tag("includes/latest_news.html")
def latest_news(count: int = 5):
    """The newest published stories, for the sidebar every page carries."""
    stories = Story.objects.published().only("headline", "slug", "published_at")[:count]
    return {"stories": stories}
