"""A read-only JSON API for partners and apps: published stories in IPTC ninjs 2.1.

``GET /api/ninjs/stories/`` lists published stories, newest first, 20 a page (``?limit=``
from 1 to 100), as ``{"items": [...], "next": URL or null}``. Pages are keyset-paginated
like the readers' lists (``?before=<cursor>``, the cursor naming the last story seen): no
OFFSET and no COUNT, however deep the page. ``GET /api/ninjs/stories/<id>/`` is one story.
The site announces both: every story page links its document, and the home page the list,
with ``<link rel="alternate" type="application/json">``.

Every story comes through ``Story.objects.published()``: drafts, scheduled and embargoed
stories are 404 here as everywhere else. A story that was out and has been killed keeps its
document, cut down to what says so: ``{"uri", "version", "versioncreated", "pubstatus":
"canceled"}`` with no text, so that partners who took it know to withdraw it. Bad query
parameters get a 400 with a one-line JSON error, never a 500. Documents follow the field
definitions of ninjs 2.1 (http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json);
``tests/schemas/`` holds the subset we emit as a JSON Schema, and the tests validate every
document against it.

Everything under ``API_PREFIX`` answers JSON, errors included: ``{"error": "<one line>"}``
for a 400, a 404 (an unknown story or address), a 405 (any method but GET and HEAD, with
``Allow: GET, HEAD``), a 500 and a 503 (the database away). The site's error handlers
(``newsroom/urls.py``) and ``DatabaseUnavailableMiddleware`` ask :func:`is_api_request`.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from articles.models import Section, Story
from articles.site import addresses, caching, structured_data
from articles.site import keys as surrogate
from articles.site.pagination import BadCursor, keyset_page

# Where the API's addresses start (articles/site/urls.py declares them under it).
API_PREFIX = "/api/"
NINJS_STANDARD = {
    "name": "ninjs",
    "version": "2.1",
    "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json",
}
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Far longer than any cursor this site makes ("<20 digits>-<20 digits>").
MAX_PARAMETER_LENGTH = 64
LIMIT = re.compile(r"[0-9]{1,3}")
# A word is a run of non-space characters with a letter or digit in it: the dateline's
# closing "-" and a lone dash between clauses are not words, "Nagorno-Karabakh" is one.
WORD = re.compile(r"\S*\w\S*")
# Readers see new and scheduled stories within a minute, and a CDN still absorbs the load.
CACHE_CONTROL = "public, max-age=60"


class BadRequest(ValueError):
    """A query parameter this API cannot answer; its message is the client's error."""


def story_list(request: HttpRequest) -> JsonResponse:
    """A page of published stories, newest first, and the address of the next page."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    try:
        before, limit = _list_parameters(request)
        page = keyset_page(_public_stories(), before=before, size=limit or PAGE_SIZE)
    except BadRequest as error:
        return error_response(str(error), status=400)
    except BadCursor:
        return error_response("before: not a page cursor from this API", status=400)
    next_url = None
    if page.older:
        query = {"before": page.older} | ({"limit": limit} if limit else {})
        next_url = request.build_absolute_uri(
            f"{reverse('articles:api_stories')}?{urlencode(query)}"
        )
    caching.shows(request, surrogate.LATEST, *surrogate.of_stories(page.items, tags=True))
    return _json({"items": [ninjs(story, request) for story in page], "next": next_url})


def story_detail(request: HttpRequest, pk: int) -> JsonResponse:
    """One published story as a ninjs document; anything else is a 404."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    story = _public_stories().filter(pk=pk).first()
    if story is None:
        killed = Story.objects.killed().filter(pk=pk).for_readers().first()
        if killed is None or not addresses.was_out(killed):
            return error_response("no such story", status=404)
        # A reinstatement purges it (the story's key), as a new publication purges "latest".
        caching.shows(request, surrogate.story(killed.pk))
        return _json(canceled(killed, request))
    caching.shows(request, *surrogate.of_stories([story], tags=True))
    return _json(ninjs(story, request))


def canceled(story: Story, request: HttpRequest) -> dict:
    """The ninjs document of a killed story: which story, which version, and that it is
    withdrawn (``pubstatus`` ``canceled``); nothing of what it said."""
    return {
        "uri": request.build_absolute_uri(story.get_absolute_url()),
        "standard": NINJS_STANDARD,
        "type": "text",
        "version": str(story.version),
        "versioncreated": _iso(story.updated_at),
        "pubstatus": "canceled",
    }


def ninjs(story: Story, request: HttpRequest) -> dict:
    """The ninjs 2.1 document of a published story, its sections and tags prefetched.

    Optional fields the story has no value for are left out rather than sent empty.
    """
    absolute = request.build_absolute_uri
    sections = list(story.sections.all())
    text = plain_text(story, sections)
    words = word_count(text)
    headlines = [{"role": "main", "value": story.headline}]
    if story.standfirst:
        headlines.append({"role": "sub", "value": story.standfirst})
    document = {
        "uri": absolute(story.get_absolute_url()),
        "standard": NINJS_STANDARD,
        "type": "text",
        # The story's own version, which every save raises and each correction names
        # (``Correction.story_version``); a count of the agency's takes would stay the same
        # through the desk's edits, which change what partners get too.
        "version": str(story.version),
        "firstcreated": _iso(story.published_at),
        # When this version was made, desk fixes included (not dateModified, which they
        # leave at the last update): partners take a new version by its time too.
        "versioncreated": _iso(structured_data.last_changed(story)),
        "pubstatus": "usable",
        "language": "en",
        "headlines": headlines,
        # ninjs 2.1 counts words and characters on each body (``wordcount``, ``charcount``).
        "bodies": [
            {
                "role": "main",
                "contenttype": "text/plain",
                "charcount": len(text),
                "wordcount": words,
                "value": text,
            },
            {
                "role": "main",
                "contenttype": "text/html",
                "wordcount": words,
                "value": html_text(story, sections),
            },
        ],
        "subjects": [
            {"name": tag.name, "uri": absolute(reverse("articles:tag", args=[tag.slug]))}
            if tag.slug
            else {"name": tag.name}
            for tag in sorted(story.tags.all(), key=lambda tag: tag.name.casefold())
        ],
    }
    if story.byline:
        document["by"] = story.byline
    if story.dateline_place:
        # ninjs 2.1 defines ``located`` as a string: the name of the place the content
        # comes from. (An object with a name is a later ninjs generation's shape.)
        document["located"] = story.dateline_place
    if story.dateline_date:
        # A date-time is required, and the dateline gives only the day: the start of that
        # day in the wire's time zone, the zone of the agency's own timestamps.
        start = datetime.combine(story.dateline_date, time(), ZoneInfo(settings.WIRE_TIME_ZONE))
        document["contentcreated"] = start.isoformat()
    if story.dateline_credit:
        # ninjs 2.1 has no credit-line field: the agency is the party that supplied the
        # content (``infosources``; no role, as it originated it) and holds its copyright.
        document["copyrightholder"] = story.dateline_credit
        document["copyrightnotice"] = f"© {story.dateline_credit}"
        document["infosources"] = [{"name": story.dateline_credit}]
    return document


def plain_text(story: Story, sections) -> str:
    """The body as plain text: one block per paragraph or subheading, a blank line between.

    As on the story page and in the wire copy, the dateline opens the first paragraph.
    """
    blocks = []
    dateline = str(story.dateline) if story.dateline else ""
    for section in sections:
        if section.subheading:
            blocks.append(section.subheading)
        for paragraph in section.paragraphs:
            blocks.append(f"{dateline} {paragraph}" if dateline else paragraph)
            dateline = ""
    return "\n\n".join(blocks)


def html_text(story: Story, sections) -> str:
    """The body as HTML: ``<h2>`` subheadings and ``<p>`` paragraphs, every text escaped."""
    parts = []
    dateline = str(story.dateline) if story.dateline else ""
    for section in sections:
        if section.subheading:
            parts.append(format_html("<h2>{}</h2>", section.subheading))
        for paragraph in section.paragraphs:
            if dateline:
                parts.append(
                    format_html('<p><span class="dateline">{}</span> {}</p>', dateline, paragraph)
                )
                dateline = ""
            else:
                parts.append(format_html("<p>{}</p>", paragraph))
    return "\n".join(parts)


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def _public_stories():
    sections = Section.objects.order_by("position")  # not by story: that would join them
    return (
        Story.objects.published()
        .for_readers()
        .prefetch_related(Prefetch("sections", sections), "tags")
    )


def _list_parameters(request: HttpRequest) -> tuple[str | None, int | None]:
    """The ``before`` cursor and the ``limit`` asked for, either of them absent (None)."""
    for name in ("before", "limit"):
        if any(len(value) > MAX_PARAMETER_LENGTH for value in request.GET.getlist(name)):
            raise BadRequest(f"{name}: too long")
    before = request.GET.get("before")
    if before == "":
        raise BadRequest("before: not a page cursor from this API")
    raw_limit = request.GET.get("limit")
    if raw_limit is None:
        return before, None
    if not LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE_SIZE:
        raise BadRequest(f"limit: a whole number from 1 to {MAX_PAGE_SIZE}")
    return before, int(raw_limit)


def _iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _json(data: dict, *, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    if status in (200, 404):
        response["Cache-Control"] = CACHE_CONTROL
    return response


def is_api_request(request: HttpRequest) -> bool:
    """Whether the request is for the API, whose answers (errors too) are all JSON."""
    path = request.path_info
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


def error_response(message: str, *, status: int, headers: dict | None = None) -> JsonResponse:
    """The API's error: ``{"error": message}``, one line of text for the client."""
    response = _json({"error": message}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _method_not_allowed() -> JsonResponse:
    response = error_response("read-only: use GET", status=405)
    response["Allow"] = "GET, HEAD"
    return response
