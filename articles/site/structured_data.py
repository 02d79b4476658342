"""What a story page tells search engines and aggregators: its description and its
schema.org ``NewsArticle``."""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from articles.models import Story

DESCRIPTION_CHARS = 160

# In a <script> element, these would end the element or start markup.
_SCRIPT_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


def iso_seconds(value) -> str:
    """ISO 8601 to the second: HTML's datetime attribute accepts no finer fractions."""
    return value.replace(microsecond=0).isoformat()


def description(story: Story) -> str:
    """The story's summary (:attr:`Story.summary`), else its headline, in one short line."""
    text = story.summary or story.headline
    return Truncator(" ".join(text.split())).chars(DESCRIPTION_CHARS)


def date_modified(story: Story):
    """When the story last changed for readers: when they were last told of a change (an
    update or a correction, ``revised_at``), else its last save. Never before its
    publication: a story saved before its scheduled time was not changed for anyone.

    The one answer of the page, its JSON-LD and the feeds alike."""
    changed = story.revised_at or story.updated_at
    return max(changed, story.published_at)


def last_changed(story: Story):
    """When the story last changed at all: a save, or an update or correction readers were
    told of (an import or a correction may set ``revised_at`` without a save); never
    before its publication. What crawlers (the sitemap's lastmod) and partners (ninjs's
    ``versioncreated``) go by, desk fixes included."""
    return max(filter(None, (story.updated_at, story.revised_at, story.published_at)))


def published_corrections(story: Story) -> list:
    """The story's corrections readers are told of, oldest first (``corrections``
    prefetched: ``views.with_body``)."""
    shown = [each for each in story.corrections.all() if each.published_at is not None]
    return sorted(shown, key=lambda each: (each.published_at, each.pk))


def news_article(story: Story, request, *, url: str = "", summary: str = "") -> dict:
    """The schema.org NewsArticle for a published story (sections, tags and corrections
    prefetched).

    ``url`` and ``summary`` are the page's canonical address and description, when the
    caller has them already.
    """
    url = url or request.build_absolute_uri(story.get_absolute_url())
    words = sum(len(section.body.split()) for section in story.sections.all())
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.headline,
        "description": summary or description(story),
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": iso_seconds(story.published_at),
        "dateModified": iso_seconds(date_modified(story)),
        "inLanguage": "en",
        "wordCount": words,
        "isAccessibleForFree": True,
        "keywords": [tag.name for tag in story.tags.all()],
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
    }
    if story.dateline:
        data["dateline"] = str(story.dateline).removesuffix(" -")
        data["locationCreated"] = {"@type": "Place", "name": story.dateline_place}
    if story.byline:
        data["author"] = {"@type": "Person", "name": story.byline}
    elif story.dateline_credit:
        data["author"] = {"@type": "Organization", "name": story.dateline_credit}
    if story.dateline_credit:
        data["creditText"] = story.dateline_credit
    if corrections := published_corrections(story):
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": each.text,
                "datePublished": iso_seconds(each.published_at),
            }
            for each in corrections
        ]
    return data


def news_article_json(story: Story, request, **known) -> SafeString:
    """The NewsArticle as JSON that is safe inside ``<script type="application/ld+json">``."""
    text = json.dumps(news_article(story, request, **known), ensure_ascii=False, indent=2)
    for character, escape in _SCRIPT_ESCAPES:
        text = text.replace(character, escape)
    return mark_safe(text)
