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
from jinja2 import Environment
from markupsafe import Markup

from articles.site import caching
from articles.templatetags.newsroom import isotime


def environment(**options) -> Environment:
    env = Environment(
        # Django templates keep a template's last newline: so do these, byte for byte.
        keep_trailing_newline=True,
        **options,
    )
    env.globals.update(
        static=static,
        url=url,
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


def latest_news_sidebar() -> Markup:
    """Where the sidebar's latest news goes: an include, the same on every page, put in
    when the page is served (``articles.site.caching``), so that a new story purges the
    sidebar and not every page showing it."""
    return Markup(caching.include(reverse("articles:latest_news")))
