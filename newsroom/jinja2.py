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
from django.utils.timezone import get_current_timezone, template_localtime
from django.utils.translation import get_language
from jinja2 import Environment

from articles.links import link
from articles.models import Story
from articles.templatetags.newsroom import isotime


def environment(**options) -> Environment:
    env = Environment(
        # Django templates keep a template's last newline: so do these, byte for byte.
        keep_trailing_newline=True,
        **options,
    )
    # url("articles:tag", tag.slug): Django's {% url %}, each address reversed once.
    env.globals.update(static=static, url=link, fetch_latest_news=fetch_latest_news)
    env.filters.update(date=date, isotime=isotime, floatformat=floatformat)
    return env


def date(value, format_string: str | None = None) -> str:
    """Django's ``|date`` filter: an aware time is shown in the current time zone.

    Remembered per time, format, zone and language: a page shows the same few times (the
    latest news) on every request, and Django's formatting costs some 30 µs each.
    """
    return _date(value, format_string, get_current_timezone(), get_language())


@lru_cache(maxsize=4096)
def _date(value, format_string, zone, language) -> str:
    return django_date(template_localtime(value), format_string)


def fetch_latest_news(count: int = 5):
    """The newest published stories, for the sidebar of pages that were not given them.

    Not called ``latest_news``: that is the name of the list a view passes, which would
    hide a global of the same name (the story view passes None when it has no list).
    """
    return Story.objects.published().only("headline", "slug", "published_at")[:count]
