"""Text from all of Unicode, through the importer and the desk, survives every output.

Whatever headline, standfirst, paragraphs, subheadings, place and tag names come in, either
the importer or the form refuses them with a clear one-line message, or every public page,
both feeds, both sitemaps and the API answer 200, and the XML parses. Control characters,
non-characters, RTL marks, non-ASCII names and tags whose names leave no slug are drawn
often, on purpose.
"""

import xml.etree.ElementTree as ET
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from taggit.models import Tag

from articles.models import Story
from tests.factories import make_story, make_user, story_form_data

AWKWARD = [
    "\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\t", "\r",
    "\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\u200e", "\u200f", "\u202e", "\u2028",
    "\ufeff", "é", "ß", "Ł", "日", "本", "ع", "🙂", "𝔘", "!", "'", "’", "-", "—", "&", "<",
]  # fmt: skip
characters = st.one_of(st.characters(codec="utf-8"), st.sampled_from(AWKWARD))
words = st.text(characters, min_size=1, max_size=24)
lines = st.text(characters.filter(lambda c: c not in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))
tag_names = st.one_of(
    words, st.sampled_from(["Côte d'Ivoire", "日本", "!!!", "🙂", "  ", "Ελλάδα", "עברית"])
)

XML = ["/feeds/rss/", "/feeds/atom/", "/sitemap.xml", "/news-sitemap.xml"]


def toml_string(text: str) -> str:
    """A TOML basic string holding exactly ``text``."""
    escaped = (c if c.isascii() and c.isalnum() else f"\\U{ord(c):08x}" for c in text)
    return '"' + "".join(escaped) + '"'


class PublicOutputs:
    """Assertions shared by both property tests."""

    client: Client

    def assert_every_public_output_answers(self) -> None:
        stories = list(Story.objects.published())
        urls = ["/", "/api/ninjs/stories/", "/search/?q=a", *XML]
        for story in stories:
            urls += [story.get_absolute_url(), f"/api/ninjs/stories/{story.pk}/"]
            if story.place_slug:
                urls.append(reverse("articles:place", args=[story.place_slug]))
            for tag in story.tags.all():
                urls += [
                    reverse("articles:tag", args=[tag.slug]),
                    reverse("articles:tag_feed_rss", args=[tag.slug]),
                    reverse("articles:tag_feed_atom", args=[tag.slug]),
                ]
        for url in urls:
            response = self.client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if "feed" in url or "sitemap" in url:
                ET.fromstring(response.content)
        for tag in Tag.objects.all():
            assert tag.slug and tag.slug.isascii(), tag.slug


@override_settings(PAGE_CACHE_SECONDS=0)
class ImporterProperties(PublicOutputs, TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        headline=lines,
        place=st.one_of(st.sampled_from(["BAKU", "SÃO PAULO", "ŁÓDŹ", "東京"]), lines),
        paragraphs=st.lists(lines, min_size=1, max_size=4),
        subheading=lines,
        tags=st.lists(tag_names, max_size=4),
    )
    @example(  # once: 500s on every page listing the tags, feeds broken by the form feed
        headline="日本 and Côte d'Ivoire talks",
        place="東京",
        paragraphs=["Talks\x0cresumed", "\u202eمرحبا"],
        subheading="Truce",
        tags=["日本", "Côte d'Ivoire", "!!!"],
    )
    def test_imported_copy_is_refused_clearly_or_published_everywhere(
        self, headline, place, paragraphs, subheading, tags
    ):
        """``import_wire --publish`` either refuses a file on one line or it is public
        everywhere, and every page that shows it answers."""
        import tempfile
        from pathlib import Path

        body = [f"{place} (AFP) - {paragraphs[0]}", *paragraphs[1:], f"- {subheading} -", "End."]
        copy = "\n".join(["21 Sep 2023, 09:55", "", headline, "", *body]) + "\n"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "story.txt"
            path.write_bytes(copy.encode("utf-8", "surrogatepass"))
            if tags:
                sidecar = f"tags = [{', '.join(toml_string(t) for t in tags)}]\n"
                path.with_suffix(".toml").write_text(sidecar, encoding="utf-8")
            err = StringIO()
            try:
                call_command("import_wire", str(path), publish=True, stderr=err, stdout=StringIO())
            except CommandError:
                reported = [line for line in err.getvalue().splitlines() if line.strip()]
                assert len(reported) == 1 and "story.txt" in reported[0], err.getvalue()
                assert not Story.objects.exists()
        self.client = Client()
        self.assert_every_public_output_answers()


@override_settings(PAGE_CACHE_SECONDS=0)
class DeskProperties(PublicOutputs, TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        headline=words,
        standfirst=st.text(characters, max_size=40),
        place=st.text(characters, max_size=20),
        subheading=st.text(characters, max_size=30),
        body=st.text(characters, max_size=80),
        tags=st.lists(tag_names, max_size=3),
    )
    @example(  # once: these tags made every page that listed them answer 500
        headline="Talks in 東京",
        standfirst="\u202eمرحبا\u202c",
        place="ŁÓDŹ",
        subheading="Truce",
        body="Text.",
        tags=["日本", "!!!", "Côte d'Ivoire"],
    )
    def test_an_editors_save_is_refused_clearly_or_shown_everywhere(
        self, headline, standfirst, place, subheading, body, tags
    ):
        """The story form either saves or answers with its errors; never a server error."""
        editor = make_user("eddie", "Editor")
        story = make_story(headline="Before", tags=["Baku"])
        self.client = Client()
        self.client.force_login(editor)
        tag_field = ", ".join('"' + t.replace('"', "") + '"' for t in tags)
        data = story_form_data(
            story,
            headline=headline,
            standfirst=standfirst,
            dateline_place=place,
            tags=tag_field,
            sections=[("", "Lead."), (subheading or "More", body or "Text.")],
        )
        response = self.client.post(reverse("admin:articles_story_change", args=[story.pk]), data)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            assert b"errornote" in response.content or b"errorlist" in response.content
        self.client.logout()
        self.assert_every_public_output_answers()
