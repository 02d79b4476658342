"""The Jinja2 environment of the readers' pages (``templates/jinja2/``).

Public pages are rendered with Jinja2 because it compiles templates to Python, which
renders them faster than the Django template language does. The admin, and whatever else
comes from Django's apps (sitemaps, say), stays on Django templates.

Values are escaped by Jinja2's own autoescaping (MarkupSafe, in C: ``&#39;`` for an
apostrophe where Django writes ``&#x27;``, the same to a browser), and dates are formatted
by Django's ``date`` filter in the current time zone, as Django's templates show them.
"""

from functools import lru_cache

from django.template.defaultfilters import date as django_date
from django.template.defaultfilters import floatformat
from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import get_current_timezone, template_localtime
from django.utils.translation import get_language
from jinja2 import Environment, pass_context
from markupsafe import Markup

from articles.models import Story
from articles.site import caching
from articles.templatetags.newsroom import isotime

LATEST_NEWS = 5


def environment(**options) -> Environment:
    env = Environment(
        # Django templates keep a template's last newline: so do these, byte for byte.
        keep_trailing_newline=True,
        **options,
    )
    env.globals.update(
        static=static,
        url=url,
        fetch_latest_news=fetch_latest_news,
        latest_news_sidebar=latest_news_sidebar,
    )
    env.filters.update(date=date, isotime=isotime, floatformat=floatformat)
    return env


def url(viewname: str, *args) -> str:
    """Django's ``{% url %}``: ``url("articles:tag", tag.slug)``."""
    return reverse(viewname, args=args or None)


def date(value, format_string: str | None = None) -> str:
    """Django's ``|date`` filter: an aware time is shown in the current time zone.

    Remembered per time, format, zone and language: a page shows the same few times on
    every request, and Django's formatting is a noticeable part of rendering one.
    """
    return _date(value, format_string, get_current_timezone(), get_language())


@lru_cache(maxsize=4096)
def _date(value, format_string, zone, language) -> str:
    return django_date(template_localtime(value), format_string)


def fetch_latest_news(count: int = LATEST_NEWS):
    """The newest published stories, for the sidebar."""
    return Story.objects.published().only("headline", "slug", "published_at")[:count]


@pass_context
def latest_news_sidebar(context) -> Markup:
    """The sidebar's latest news, the same on every page: rendered once per change of
    content and kept in the cache as HTML (``caching.cached_fragment``)."""
    template = context.environment.get_template("includes/latest_news.html")
    html = caching.cached_fragment(context.get("request"), "latest-news", template.render)
    return Markup(html)
