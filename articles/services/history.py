"""Stories as they were: snapshots from revisions, and readable differences between two.

A snapshot is what an editor reads (headline, dateline, subheadings, paragraphs, tags), not
database rows, so a difference says "the second subheading changed", not "row 12 changed".
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from reversion.models import Version
from taggit.models import Tag

from articles.models import Section, Story, TaggedStory, paragraphs_from_text
from articles.wire import Dateline


@dataclass(frozen=True)
class Snapshot:
    headline: str
    standfirst: str
    byline: str
    status: str
    published_at: datetime | None
    dateline_place: str
    dateline_date: date | None
    dateline_credit: str
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    tags: tuple[str, ...]
    version: int

    @property
    def dateline(self) -> str:
        if not self.dateline_place:
            return ""
        return str(Dateline(self.dateline_place, self.dateline_date, self.dateline_credit))

    def body_lines(self) -> list[str]:
        lines = []
        for subheading, paragraphs in self.sections:
            if subheading:
                lines.append(f"## {subheading}")
            lines.extend(paragraphs)
        return lines


@dataclass(frozen=True)
class Change:
    """One changed part of a story: ``lines`` are (kind, text) pairs, where kind is
    ``-`` (removed), ``+`` (added), a space (unchanged context) or ``…`` (unchanged lines
    left out, counted in the text)."""

    label: str
    lines: tuple[tuple[str, str], ...] = field(default=())


def snapshot_of_story(story: Story) -> Snapshot:
    """The story as it is in the database now."""
    return Snapshot(
        headline=story.headline,
        standfirst=story.standfirst,
        byline=story.byline,
        status=story.status,
        published_at=story.published_at,
        dateline_place=story.dateline_place,
        dateline_date=story.dateline_date,
        dateline_credit=story.dateline_credit,
        sections=tuple(
            (s.subheading, tuple(s.paragraphs)) for s in story.sections.order_by("position")
        ),
        tags=tuple(sorted(story.tags.names(), key=str.lower)),
        version=story.version,
    )


def snapshot_of_version(version: Version) -> Snapshot:
    """The story as a revision saved it, with the sections and tags saved alongside."""
    data = version.field_dict
    types = ContentType.objects.get_for_models(Section, TaggedStory)
    related = version.revision.version_set.filter(content_type__in=types.values()).select_related(
        "content_type"
    )
    sections, tag_ids = [], []
    for item in related:
        fields = item.field_dict
        if item.content_type == types[Section] and fields["story_id"] == int(version.object_id):
            sections.append((fields["position"], fields["subheading"], fields["body"]))
        elif fields.get("content_object_id") == int(version.object_id):
            tag_ids.append(fields["tag_id"])
    tag_names = _tag_names(version, tag_ids)
    return Snapshot(
        headline=data["headline"],
        standfirst=data.get("standfirst", ""),
        byline=data.get("byline", ""),
        status=data["status"],
        published_at=data.get("published_at"),
        dateline_place=data.get("dateline_place", ""),
        dateline_date=data.get("dateline_date"),
        dateline_credit=data.get("dateline_credit", ""),
        sections=tuple(
            (subheading, tuple(paragraphs_from_text(body)))
            for _, subheading, body in sorted(sections)
        ),
        tags=tuple(sorted(tag_names, key=str.lower)),
        version=data.get("version", 0),
    )


def _tag_names(version: Version, tag_ids: list[int]) -> list[str]:
    saved = {
        item.object_id: item.field_dict["name"]
        for item in version.revision.version_set.filter(
            content_type=ContentType.objects.get_for_model(Tag)
        )
    }
    return [saved.get(str(tag_id), f"tag {tag_id}") for tag_id in tag_ids]


def story_versions(story_pk: int):
    """The revisions of a story, newest first."""
    return (
        Version.objects.get_for_model(Story)
        .filter(object_id=str(story_pk))
        .select_related("revision", "revision__user")
        .order_by("-revision__date_created", "-pk")
    )


def version_for(story_pk: int, number: int) -> Version | None:
    """The revision that saved version ``number`` of the story."""
    for version in story_versions(story_pk):
        if version.field_dict.get("version") == number:
            return version
    return None


def compare(old: Snapshot, new: Snapshot) -> list[Change]:
    """What changed from ``old`` to ``new``, in reading order."""
    changes = []
    for label, attribute in (
        ("Headline", "headline"),
        ("Standfirst", "standfirst"),
        ("Byline", "byline"),
        ("Dateline", "dateline"),
        ("Status", "status"),
        ("Publication time", "published_at"),
    ):
        before, after = getattr(old, attribute), getattr(new, attribute)
        if before != after:
            changes.append(Change(label, (("-", _text(before)), ("+", _text(after)))))
    if old.sections != new.sections:
        changes.append(Change("Body", tuple(_line_diff(old.body_lines(), new.body_lines()))))
    if old.tags != new.tags:
        removed = [("-", t) for t in old.tags if t not in new.tags]
        added = [("+", t) for t in new.tags if t not in old.tags]
        changes.append(Change("Tags", tuple(removed + added)))
    return changes


def summary(changes: list[Change]) -> str:
    """``headline, body and tags``: the parts that changed, for a one-line message."""
    labels = [c.label.lower() for c in changes]
    if not labels:
        return "nothing you can see"
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _text(value) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


def _line_diff(before: list[str], after: list[str]):
    """Changed lines with one line of context; longer unchanged runs are counted, not shown."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            same = before[a1:a2]
            if len(same) <= 3:
                yield from ((" ", line) for line in same)
            else:
                head = [] if a1 == 0 else [same[0]]
                tail = [] if a2 == len(before) else [same[-1]]
                yield from ((" ", line) for line in head)
                yield ("…", f"{len(same) - len(head) - len(tail)} unchanged lines")
                yield from ((" ", line) for line in tail)
        else:
            for line in before[a1:a2]:
                yield ("-", line)
            for line in after[b1:b2]:
                yield ("+", line)
