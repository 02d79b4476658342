"""Remembered addresses (articles/links.py) are the addresses Django reverses."""

from django.urls import reverse, set_script_prefix

from articles.links import link


def test_a_link_is_what_reverse_gives():
    assert link("articles:home") == reverse("articles:home") == "/"
    assert link("articles:tag", "armenia") == reverse("articles:tag", args=["armenia"])
    assert link("articles:story", 2023, 9, 1, "a-b") == "/2023/09/01/a-b/"


def test_a_link_follows_the_script_prefix():
    """A site mounted under /news/ (SCRIPT_NAME) gets its own addresses, not remembered ones."""
    assert link("articles:tag", "baku") == "/tags/baku/"
    set_script_prefix("/news/")
    try:
        assert link("articles:tag", "baku") == "/news/tags/baku/"
    finally:
        set_script_prefix("/")
    assert link("articles:tag", "baku") == "/tags/baku/"


def test_a_new_url_configuration_is_not_answered_from_memory(settings):
    assert link("articles:home") == "/"
    settings.ROOT_URLCONF = "tests.urls_under_news"
    assert link("articles:home") == "/news/"
