"""Workflows on stories: the one place the admin, the commands and the tests call."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import reversion
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag

from articles import caching, search, wire
from articles.forms import TAG_MAX_LENGTH
from articles.models import Section, Story, TaggedStory, text_from_paragraphs

SLUG_MAX_LENGTH = 80


PUBLISH_PERMISSION = "articles.publish_story"


class StaleEdit(Exception):
    """A save based on a version of the story that someone else has since replaced."""

    def __init__(self, *, story_pk: int, expected_version: int):
        self.story_pk = story_pk
        self.expected_version = expected_version
        super().__init__(
            f"story {story_pk} has changed since version {expected_version} was opened"
        )


class SidecarError(ValueError):
    """An editorial sidecar that cannot be read; ``str()`` is a one-line message."""


@dataclass(frozen=True)
class Sidecar:
    """Editorial decisions kept next to a piece of wire copy (``<copy>.toml``).

    ``tags`` replace the parser's suggestions; ``status`` is ``draft`` or ``published``.
    """

    tags: tuple[str, ...] | None = None
    status: str | None = None


@dataclass(frozen=True)
class ImportResult:
    story: Story
    created: bool


def sidecar_path(source: Path) -> Path:
    return source.with_suffix(".toml")


def read_sidecar(source: Path) -> Sidecar:
    """The sidecar of ``source`` if it has one, else an empty one."""
    path = sidecar_path(source)
    if not path.exists():
        return Sidecar()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SidecarError(f"{path.name}: not valid TOML ({exc})") from None
    unknown = set(data) - {"tags", "status"}
    if unknown:
        raise SidecarError(f"{path.name}: unknown keys {', '.join(sorted(unknown))}")
    tags = data.get("tags")
    if tags is not None and not (
        isinstance(tags, list) and all(isinstance(t, str) and t.strip() for t in tags)
    ):
        raise SidecarError(f"{path.name}: tags must be a list of names")
    if tags and any(len(t.strip()) > TAG_MAX_LENGTH for t in tags):
        raise SidecarError(f"{path.name}: a tag has at most {TAG_MAX_LENGTH} characters")
    status = data.get("status")
    if status is not None and status not in Story.Status.values:
        raise SidecarError(f"{path.name}: status must be one of {', '.join(Story.Status)}")
    return Sidecar(tags=tuple(t.strip() for t in tags) if tags else None, status=status)


def failure_reason(exc: Exception) -> str:
    """A one-line reason for a file that could not be read, parsed or imported."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def read_copy(path: Path) -> bytes:
    """The bytes of a file of wire copy, refusing absurd sizes before reading them."""
    size = path.stat().st_size
    if size > wire.MAX_INPUT_BYTES:
        raise wire.WireError(
            f"file is {size:,} bytes; wire copy is at most {wire.MAX_INPUT_BYTES:,} bytes"
        )
    return path.read_bytes()


def parse_copy(data: str | bytes, *, today: date | None = None) -> wire.WireStory:
    """Parse wire copy with this site's wire time zone."""
    return wire.parse(data, wire_tz=settings.WIRE_TIME_ZONE, today=today or timezone.localdate())


def build_story(
    parsed: wire.WireStory, *, status: str, published_at: datetime | None
) -> tuple[Story, list[Section]]:
    """Unsaved model instances for a parsed story (saved by the importer, or serialised
    as they are by ``build_fixtures``)."""
    dateline = parsed.dateline or wire.Dateline(place="")
    story = Story(
        headline=parsed.headline,
        slug=slugify(parsed.headline)[:SLUG_MAX_LENGTH].rstrip("-") or "story",
        status=status,
        published_at=published_at,
        dateline_place=dateline.place,
        place_slug=slugify(dateline.place),
        dateline_date=dateline.date,
        dateline_credit=dateline.credit,
        source_text=parsed.source_text,
        source_checksum=parsed.checksum,
    )
    sections = [
        Section(
            story=story,
            position=position,
            subheading=section.subheading or "",
            body=text_from_paragraphs(section.paragraphs),
        )
        for position, section in enumerate(parsed.sections)
    ]
    return story, sections


def unique_slug(*, slug: str, published_at: datetime | None, exclude_pk=None) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… when another story has it on the same day."""
    if published_at is None:
        return slug
    day = timezone.localtime(published_at).date()
    taken = set(
        Story.objects.filter(published_at__date=day, slug__startswith=slug)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def import_wire_copy(
    *,
    data: str | bytes,
    publish: bool = False,
    tags: tuple[str, ...] | None = None,
    today: date | None = None,
    user=None,
) -> ImportResult:
    """Save wire copy as a story; the same copy imported again changes nothing.

    Raises :class:`wire.WireError` for copy that cannot be parsed, before anything is
    written. ``tags`` (from a sidecar or an editor) replace the parser's suggestions.
    A published story takes the copy's timestamp, or now when the copy has none.
    """
    parsed = parse_copy(data, today=today)
    existing = Story.objects.filter(source_checksum=parsed.checksum).first()
    if existing is not None:
        return ImportResult(story=existing, created=False)

    published_at = parsed.published_at if publish else None
    if publish and published_at is None:
        published_at = timezone.now()
    story, sections = build_story(
        parsed,
        status=Story.Status.PUBLISHED if publish else Story.Status.DRAFT,
        published_at=published_at,
    )
    try:
        with transaction.atomic(), reversion.create_revision():
            story.slug = unique_slug(slug=story.slug, published_at=published_at)
            story.save()
            Section.objects.bulk_create(sections)
            story.tags.set(list(tags if tags is not None else parsed.tags))
            search.refresh_on_commit([story.pk])
            if publish:
                caching.invalidate_on_commit()
            reversion.set_comment("Imported from wire copy")
            if user is not None:
                reversion.set_user(user)
    except IntegrityError:
        # Someone else imported the same copy between our check and our insert.
        existing = Story.objects.filter(source_checksum=parsed.checksum).first()
        if existing is None:
            raise
        return ImportResult(story=existing, created=False)
    return ImportResult(story=story, created=True)


def can_publish(user) -> bool:
    return user is not None and user.has_perm(PUBLISH_PERMISSION)


def require_publisher(user) -> None:
    if not can_publish(user):
        raise PermissionDenied("Only editors can publish, schedule or unpublish stories.")


def mark_published(story: Story, *, now: datetime | None = None) -> str:
    """Make the story public now (a story already public keeps its time and address)."""
    now = now or timezone.now()
    if story.published_at is None or story.published_at > now:
        story.published_at = now
    story.status = Story.Status.PUBLISHED
    story.slug = unique_slug(slug=story.slug, published_at=story.published_at, exclude_pk=story.pk)
    return "Published"


def mark_scheduled(story: Story, *, at: datetime | None) -> str:
    """Publish the story by itself at ``at``, which must be in the future."""
    if at is None or at <= timezone.now():
        raise ValidationError(
            {"published_at": "To schedule a story, give a publication time in the future."}
        )
    story.status = Story.Status.PUBLISHED
    story.published_at = at
    story.slug = unique_slug(slug=story.slug, published_at=at, exclude_pk=story.pk)
    local = timezone.localtime(at)
    return f"Scheduled for {local:%Y-%m-%d %H:%M %Z}"


def mark_unpublished(story: Story) -> str:
    """Take the story off the public site; it keeps its time for when it comes back."""
    story.status = Story.Status.DRAFT
    return "Unpublished"


def save_story(*, story: Story, expected_version: int, user, comment: str = "Edited") -> Story:
    """Save an edited story, unless someone saved it after ``expected_version`` was read.

    The version check is part of the UPDATE itself, so two editors saving at the same
    moment cannot both win: the second gets :class:`StaleEdit` and nothing of theirs is
    written. Every save keeps a revision with who and when.
    """
    with transaction.atomic(), reversion.create_revision():
        claimed = Story.objects.filter(pk=story.pk, version=expected_version).update(
            version=F("version") + 1
        )
        if not claimed:
            raise StaleEdit(story_pk=story.pk, expected_version=expected_version)
        story.version = expected_version + 1
        story.save()
        # After commit, so a restore's or the admin's sections and tags are in it too.
        search.refresh_on_commit([story.pk])
        caching.invalidate_on_commit()
        reversion.set_user(user)
        reversion.set_comment(comment)
    return story


def restore_version(*, story: Story, version, user, expected_version: int) -> Story:
    """Bring back the words of an earlier revision as a new revision.

    Headline, standfirst, byline, dateline, sections and tags come back; the publication
    state stays as it is now (publishing is a separate, permitted step). Nothing is lost:
    the state being replaced stays in the history.
    """
    from articles import history

    snapshot = history.snapshot_of_version(version)
    comment = f"Restored the version of {timezone.localtime(version.revision.date_created):%c}"
    # One revision for the whole restore: the nested save joins this one.
    with transaction.atomic(), reversion.create_revision():
        _apply_words(story, snapshot)
        save_story(story=story, expected_version=expected_version, user=user, comment=comment)
        _replace_sections_and_tags(story, snapshot)
    return story


def recover_story(*, version, user) -> Story:
    """Bring a deleted story back, as a draft, from its last revision.

    It comes back under its old id (so its history still belongs to it) and as a draft
    whatever it was, so recovering never publishes anything by itself.
    """
    from articles import history

    if Story.objects.filter(pk=int(version.object_id)).exists():
        raise ValidationError("This story is not deleted.")
    data = version.field_dict
    checksum = data.get("source_checksum", "")
    if checksum and Story.objects.filter(source_checksum=checksum).exists():
        raise ValidationError(
            "Its wire copy has been imported again since; edit that story instead."
        )
    snapshot = history.snapshot_of_version(version)
    numbers = [v.field_dict.get("version", 0) for v in history.story_versions(data["id"])]
    story = Story(
        pk=data["id"],
        slug=data["slug"],
        status=Story.Status.DRAFT,
        published_at=data.get("published_at"),
        source_text=data.get("source_text", ""),
        source_checksum=checksum,
        version=max(numbers, default=0) + 1,
    )
    _apply_words(story, snapshot)
    with transaction.atomic(), reversion.create_revision():
        story.save(force_insert=True)
        _replace_sections_and_tags(story, snapshot)
        search.refresh_on_commit([story.pk])
        reversion.set_user(user)
        reversion.set_comment("Recovered after deletion, as a draft")
    return story


def _apply_words(story: Story, snapshot) -> None:
    story.headline = snapshot.headline
    story.standfirst = snapshot.standfirst
    story.byline = snapshot.byline
    story.dateline_place = snapshot.dateline_place
    story.dateline_date = snapshot.dateline_date
    story.dateline_credit = snapshot.dateline_credit


def _replace_sections_and_tags(story: Story, snapshot) -> None:
    story.sections.all().delete()
    Section.objects.bulk_create(
        Section(
            story=story,
            position=position,
            subheading=subheading,
            body=text_from_paragraphs(paragraphs),
        )
        for position, (subheading, paragraphs) in enumerate(snapshot.sections)
    )
    story.tags.set(list(snapshot.tags))


def _change_publication(story: Story, *, user, expected_version: int | None, mark) -> Story:
    require_publisher(user)
    expected = story.version if expected_version is None else expected_version
    comment = mark(story)
    return save_story(story=story, expected_version=expected, user=user, comment=comment)


def publish_story(*, story: Story, user, expected_version: int | None = None) -> Story:
    """Publish now. Only for users with the publish permission."""
    return _change_publication(
        story, user=user, expected_version=expected_version, mark=mark_published
    )


def schedule_story(
    *, story: Story, user, at: datetime, expected_version: int | None = None
) -> Story:
    """Publish at a future time, with no job needed: ``published()`` lets it in then."""
    return _change_publication(
        story,
        user=user,
        expected_version=expected_version,
        mark=lambda s: mark_scheduled(s, at=at),
    )


def unpublish_story(*, story: Story, user, expected_version: int | None = None) -> Story:
    """Take a story off the public site."""
    return _change_publication(
        story, user=user, expected_version=expected_version, mark=mark_unpublished
    )


def merge_tags(*, target: Tag, sources: Iterable[Tag], user) -> int:
    """Fold the ``sources`` tags into ``target``, delete them, and return how many stories
    changed.

    Every story that had a source tag has the target exactly once afterwards. Its version
    goes up, so an editor who opened it before the merge gets a conflict instead of saving
    the old tag back, and the change is kept as one revision with who and what. The target
    is never deleted, even when it is among the sources. Only users who may both change
    and delete tags can merge them.
    """
    _require_tag_editor(user)
    source_ids = {tag.pk for tag in sources} - {target.pk}
    if not source_ids:
        return 0
    with transaction.atomic(), reversion.create_revision():
        # Locking the tags makes a concurrent tagging with a source wait, then fail, rather
        # than land on a tag that is about to disappear (PostgreSQL; SQLite serialises).
        locked = list(
            Tag.objects.select_for_update().filter(pk__in=[*source_ids, target.pk]).order_by("pk")
        )
        names = sorted((tag.name for tag in locked if tag.pk in source_ids), key=str.lower)
        story_ids = set(
            TaggedStory.objects.filter(tag_id__in=source_ids).values_list(
                "content_object_id", flat=True
            )
        )
        if story_ids:
            have_target = set(
                TaggedStory.objects.filter(
                    tag_id=target.pk, content_object_id__in=story_ids
                ).values_list("content_object_id", flat=True)
            )
            TaggedStory.objects.bulk_create(
                [
                    TaggedStory(content_object_id=story_id, tag_id=target.pk)
                    for story_id in sorted(story_ids - have_target)
                ],
                batch_size=500,
            )
        # Deleting the tags deletes their remaining story tags with them.
        Tag.objects.filter(pk__in=source_ids).delete()
        _record_tag_change(
            story_ids, user=user, comment=f"Merged tags {', '.join(names)} into {target.name}"
        )
    return len(story_ids)


def save_tag(*, tag: Tag, user) -> int:
    """Save a tag (a rename, say) and return how many stories carry it.

    Those stories get a new version and a revision, as with any change to their words,
    so an editor who had one open cannot save the old name back unseen.
    """
    _require_tag_editor(user)
    with transaction.atomic(), reversion.create_revision():
        tag.save()
        story_ids = set(
            TaggedStory.objects.filter(tag=tag).values_list("content_object_id", flat=True)
        )
        _record_tag_change(story_ids, user=user, comment=f"Tag renamed to {tag.name}")
    return len(story_ids)


def delete_tags(*, tags: Iterable[Tag], user) -> int:
    """Delete tags; the stories that carried them get a new version and a revision."""
    _require_tag_editor(user)
    tag_ids = [tag.pk for tag in tags]
    with transaction.atomic(), reversion.create_revision():
        names = sorted(Tag.objects.filter(pk__in=tag_ids).values_list("name", flat=True))
        story_ids = set(
            TaggedStory.objects.filter(tag_id__in=tag_ids).values_list(
                "content_object_id", flat=True
            )
        )
        Tag.objects.filter(pk__in=tag_ids).delete()
        _record_tag_change(story_ids, user=user, comment=f"Tags deleted: {', '.join(names)}")
    return len(story_ids)


def _require_tag_editor(user) -> None:
    if user is None or not (
        user.has_perm("taggit.change_tag") and user.has_perm("taggit.delete_tag")
    ):
        raise PermissionDenied("Only editors who may change and delete tags can do this.")


def _record_tag_change(story_ids: set[int], *, user, comment: str) -> None:
    """Inside a revision block: new versions, a revision and fresh search for the stories."""
    if story_ids:
        Story.objects.filter(pk__in=story_ids).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
    stories = Story.objects.filter(pk__in=story_ids).prefetch_related(
        "sections",
        Prefetch("taggedstory_set", queryset=TaggedStory.objects.select_related("tag")),
    )
    for story in stories:
        reversion.add_to_revision(story)
    search.refresh_on_commit(story_ids)
    caching.invalidate_on_commit()
    reversion.set_user(user)
    reversion.set_comment(comment)


def delete_stories(*, stories: Iterable[Story]) -> None:
    """Delete stories; their revisions stay, so they can be recovered."""
    with transaction.atomic():
        Story.objects.filter(pk__in=[story.pk for story in stories]).delete()
        caching.invalidate_on_commit()
