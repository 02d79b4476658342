"""Small factories for stories in tests."""

from datetime import timedelta
from itertools import count

import reversion
from django.test import TestCase
from django.utils import timezone

from articles.models import Section, Story

_numbers = count(1)


def make_story(
    *,
    headline: str | None = None,
    status: str = Story.Status.PUBLISHED,
    published_at=None,
    ago: timedelta | None = timedelta(hours=1),
    sections: list[tuple[str, list[str]]] | None = None,
    tags: list[str] = (),
    **fields,
) -> Story:
    """A story published an hour ago unless told otherwise (``ago=-timedelta(...)`` is future)."""
    n = next(_numbers)
    if published_at is None and ago is not None:
        published_at = timezone.now() - ago
    # The test's transaction never commits: run what a commit would set off (the search
    # refresh and the purge), as every real write path does.
    with TestCase.captureOnCommitCallbacks(execute=True), reversion.create_revision():
        story = _create(n, headline, status, published_at, sections, tags, fields)
        reversion.set_comment("Created by a test")
    return story


def _create(n, headline, status, published_at, sections, tags, fields) -> Story:
    story = Story.objects.create(
        headline=headline or f"Story number {n}",
        slug=fields.pop("slug", f"story-number-{n}"),
        status=status,
        published_at=published_at,
        **fields,
    )
    if sections is None:
        sections = [("", [f"Lead paragraph of story {n}."])]
    Section.objects.bulk_create(
        Section.of_paragraphs(story=story, position=i, subheading=sub, paragraphs=paragraphs)
        for i, (sub, paragraphs) in enumerate(sections)
    )
    if tags:
        story.tags.set(list(tags))
    return story


def story_form_data(story: Story, **changes) -> dict:
    """The POST an editor's browser sends from the story change form, with ``changes``.

    ``sections`` may be given as a list of (subheading, body) to replace the inlines.
    """
    local = timezone.localtime(story.published_at) if story.published_at else None
    embargo = timezone.localtime(story.embargo) if story.embargo else None
    data = {
        "headline": story.headline,
        "slug": story.slug,
        "standfirst": story.standfirst,
        "byline": story.byline,
        "tags": ", ".join(f'"{name}"' for name in story.tags.names()) if story.pk else "",
        "status": story.status,
        "published_at_0": local.strftime("%Y-%m-%d") if local else "",
        "published_at_1": local.strftime("%H:%M:%S") if local else "",
        "embargo_0": f"{embargo:%Y-%m-%d}" if embargo else "",
        "embargo_1": f"{embargo:%H:%M:%S}" if embargo else "",
        "dateline_place": story.dateline_place,
        "dateline_date": story.dateline_date.isoformat() if story.dateline_date else "",
        "dateline_credit": story.dateline_credit,
        "expected_version": story.version,
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
    }
    existing = list(story.sections.order_by("position")) if story.pk else []
    wanted = changes.pop("sections", None)
    rows = [(s.pk, s.position, s.subheading, s.body) for s in existing]
    if wanted is not None:
        rows = [
            (existing[i].pk if i < len(existing) else "", i, sub, body)
            for i, (sub, body) in enumerate(wanted)
        ]
    for i, (pk, position, subheading, body) in enumerate(rows):
        data |= {
            f"sections-{i}-id": pk,
            f"sections-{i}-story": story.pk or "",
            f"sections-{i}-position": position,
            f"sections-{i}-subheading": subheading,
            f"sections-{i}-body": body,
        }
    data["sections-TOTAL_FORMS"] = str(len(rows))
    data["sections-INITIAL_FORMS"] = str(sum(1 for row in rows if row[0]))
    data.update(changes)
    return data


def make_user(username: str, group: str | None = None, **fields):
    """A staff user in the "Reporter" or "Editor" group (made by a data migration)."""
    from django.contrib.auth.models import Group, User

    from articles.roles import ensure_roles

    user = User.objects.create_user(
        username=username, password="correct horse battery", **{"is_staff": True, **fields}
    )
    if group:
        if not Group.objects.filter(name=group).exists():
            ensure_roles()  # a transactional test before this one emptied the tables
        user.groups.add(Group.objects.get(name=group))
    return user
