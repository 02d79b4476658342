"""The Jinja2 environment of the readers' pages (``templates/jinja2/``).

Public pages are rendered with Jinja2 because it compiles templates to Python, which
renders them faster than the Django template language does. The admin, and whatever else
comes from Django's apps (sitemaps, say), stays on Django templates.

The pages must read exactly as they did with Django templates, so values are escaped the way
Django escapes them (``&#x27;`` for an apostrophe, not Jinja's ``&#39;``) and dates are
formatted by Django's ``date`` filter in the current time zone.
"""

from functools import lru_cache

from django.template.defaultfilters import date as django_date
from django.template.defaultfilters import floatformat
from django.templatetags.static import static
from django.utils.timezone import get_current_timezone, template_localtime
from django.utils.translation import get_language
from jinja2 import Environment, pass_eval_context
from markupsafe import Markup, escape

from articles.links import link
from articles.models import Story
from articles.templatetags.newsroom import isotime


def environment(**options) -> Environment:
    env = Environment(
        # Django templates keep a template's last newline: so do these, byte for byte.
        keep_trailing_newline=True,
        finalize=escape_like_django,
        **options,
    )
    # url("articles:tag", tag.slug): Django's {% url %}, each address reversed once.
    env.globals.update(static=static, url=link, fetch_latest_news=fetch_latest_news)
    env.filters.update(date=date, isotime=isotime, floatformat=floatformat)
    return env


@pass_eval_context
def escape_like_django(eval_ctx, value):
    """Escape each value as Django's templates do, so the pages keep their bytes.

    MarkupSafe's escaping (in C) with Django's entities for quotes: ``&#x27;`` and
    ``&quot;`` where MarkupSafe writes ``&#39;`` and ``&#34;``. Jinja2 then leaves the result
    alone: it is marked safe. Safe values (``mark_safe``, macros) and blocks with
    autoescaping off are left as they are.
    """
    if not eval_ctx.autoescape or hasattr(value, "__html__"):
        return value
    escaped = escape(value)
    if "&#3" in escaped:
        escaped = Markup(str.replace(str.replace(escaped, "&#39;", "&#x27;"), "&#34;", "&quot;"))
    return escaped


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
