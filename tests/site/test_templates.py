"""Two template engines: Jinja2 for the readers' pages, Django's for the admin and sitemaps."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.template.backends.jinja2 import Jinja2
from django.template.loader import get_template
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
def test_the_sidebar_reads_the_latest_news_when_not_given_them(rf):
    """Without a ``latest_news`` list (or with None), the layout reads the newest five
    published stories itself; a list it is given is shown as it is."""
    stories = [
        make_story(headline=f"Sidebar story {n}", ago=timedelta(minutes=n)) for n in range(6)
    ]
    make_story(headline="Sidebar draft", status="draft", ago=None)
    template = get_template("includes/latest_news.html")
    for context in ({}, {"latest_news": None}):
        html = template.render(context, rf.get("/"))
        assert html.count("<li>") == 5
        assert "Sidebar story 4" in html
        assert "Sidebar story 5" not in html and "Sidebar draft" not in html
    given = template.render({"latest_news": stories[5:]}, rf.get("/"))
    assert given.count("<li>") == 1
    assert "Sidebar story 5" in given
