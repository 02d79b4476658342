"""Two template engines: Jinja2 for the readers' pages, Django's for the admin and sitemaps."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.template.backends.jinja2 import Jinja2
from django.template.loader import get_template
from django.urls import reverse, set_script_prefix
from django.utils.safestring import mark_safe

from tests.factories import make_story

PUBLIC_TEMPLATES = Path(settings.BASE_DIR, "templates", "jinja2")


def public_template_names() -> list[str]:
    return sorted(
        path.relative_to(PUBLIC_TEMPLATES).as_posix() for path in PUBLIC_TEMPLATES.rglob("*.html")
    )


@pytest.mark.parametrize("name", public_template_names())
def test_public_templates_are_jinja2_and_compile(name):
    """Every template of the readers' pages is found by the Jinja2 engine and compiles."""
    assert isinstance(get_template(name).backend, Jinja2)


@pytest.mark.parametrize(
    "name",
    [
        "admin/base_site.html",
        "admin/articles/story/wire_desk.html",
        "admin/taggit/tag/merge.html",
        "sitemaps/news.xml",
    ],
)
def test_admin_and_sitemap_templates_stay_django_templates(name):
    """The admin, its overrides and the news sitemap are not shadowed by the public folder."""
    assert isinstance(get_template(name).backend, DjangoTemplates)


def test_public_pages_escape_what_they_show():
    """Every value is escaped (MarkupSafe's entities), except what is marked safe."""
    template = engines["jinja2"].from_string("<p title='{{ text }}'>{{ text }}</p>{{ safe }}")
    html = template.render({"text": 'Tom\'s "deal" & <b>', "safe": mark_safe("<i>kept</i>")})
    text = "Tom&#39;s &#34;deal&#34; &amp; &lt;b&gt;"
    assert html == f"<p title='{text}'>{text}</p><i>kept</i>"


@pytest.mark.django_db
def test_story_times_are_shown_in_the_newsroom_time_zone(client, demo_story, settings):
    """The ``date`` filter converts to the current time zone, as Django's does; the datetime
    attribute stays in UTC."""
    settings.TIME_ZONE = "Asia/Dhaka"
    html = client.get(demo_story.get_absolute_url()).content.decode()
    published = '<time datetime="2023-09-21T03:55:00+00:00">21 September 2023, 09:55 +06</time>'
    assert f"Published {published}" in html
    assert '<time datetime="2023-09-21T03:55:00+00:00">21 Sep, 09:55</time>' in html


@pytest.mark.django_db
def test_the_sidebar_lists_the_newest_five_published_stories(client):
    """The sidebar's fragment, at its own address: the newest five public stories, no
    draft among them."""
    for n in range(6):
        make_story(headline=f"Sidebar story {n}", ago=timedelta(minutes=n))
    make_story(headline="Sidebar draft", status="draft", ago=None)
    html = client.get(reverse("articles:latest_news")).content.decode()
    assert html.count("<li>") == 5
    assert "Sidebar story 4" in html
    assert "Sidebar story 5" not in html and "Sidebar draft" not in html


def test_url_is_what_reverse_gives_under_any_prefix_or_urlconf(settings):
    """The templates' url() is Django's reverse: it follows the script prefix and a change
    of URL configuration, never an address remembered from before."""
    url = engines["jinja2"].env.globals["url"]
    assert url("articles:tag", "baku") == reverse("articles:tag", args=["baku"]) == "/tags/baku/"
    assert url("articles:story", 2023, 9, 1, "a-b") == "/2023/09/01/a-b/"
    set_script_prefix("/news/")
    try:
        assert url("articles:tag", "baku") == "/news/tags/baku/"
    finally:
        set_script_prefix("/")
    settings.ROOT_URLCONF = "tests.urls_under_news"
    assert url("articles:home") == "/news/"
