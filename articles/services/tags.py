"""Tags: renaming, merging and deleting them, and finding or making them by name in bulk.

A change to a tag is a change to every story that carries it: those stories get a new
version (an editor who had one open gets a conflict instead of saving the old tag back
unseen) and a revision with who and what. Only users who may both change and delete tags
do any of it.
"""

from __future__ import annotations

from collections.abc import Iterable

import reversion
from django.conf import settings
from django.db import transaction
from django.db.models import F, Prefetch
from django.db.models.functions import Upper
from django.utils import timezone
from taggit.models import Tag

from articles.models import Story, TaggedStory
from articles.services import effects
from articles.services.permissions import require_tag_editor
from articles.slugs import tag_slug


def merge_tags(*, target: Tag, sources: Iterable[Tag], user) -> int:
    """Fold the ``sources`` tags into ``target``, delete them, and return how many stories
    changed.

    Every story that had a source tag has the target exactly once afterwards, and is kept
    as one revision. The target is never deleted, even when it is among the sources.
    """
    require_tag_editor(user)
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
    """Save a tag (a rename, say) and return how many stories carry it."""
    require_tag_editor(user)
    with transaction.atomic(), reversion.create_revision():
        tag.save()
        story_ids = set(
            TaggedStory.objects.filter(tag=tag).values_list("content_object_id", flat=True)
        )
        _record_tag_change(story_ids, user=user, comment=f"Tag renamed to {tag.name}")
    return len(story_ids)


def delete_tags(*, tags: Iterable[Tag], user) -> int:
    """Delete tags and return how many stories carried them."""
    require_tag_editor(user)
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


def _record_tag_change(story_ids: set[int], *, user, comment: str) -> None:
    """Inside a revision block: new versions and a revision for the stories."""
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
    effects.stories_changed(story_ids)
    reversion.set_user(user)
    reversion.set_comment(comment)


def tags_named(names: Iterable[str]) -> dict[str, Tag]:
    """The tag for each name, made when there is none, matched as ``story.tags.set()`` does.

    As taggit with ``TAGGIT_CASE_INSENSITIVE``: an existing tag whose name differs only in
    case is that tag (the oldest if there are several), the first spelling of a new name
    makes the tag, and a new tag whose slug is taken gets ``slug_1``. Existing tags are
    found in one query and new ones made in one insert; the rare name those cannot settle
    (a taken slug, a case rule the database and Python disagree on) goes through taggit.
    """
    wanted = list(dict.fromkeys(names))
    found = _existing_tags(wanted)
    missing = [name for name in wanted if name not in found]
    if missing:
        first_spelling = {}
        for name in missing:
            first_spelling.setdefault(_tag_key(name), name)
        Tag.objects.bulk_create(
            [
                Tag(name=name, slug=tag_slug(name))
                for name in sorted(first_spelling.values())  # the same lock order for all
            ],
            ignore_conflicts=True,
        )
        found.update(_existing_tags(missing))
        for name in missing:
            if name not in found:
                lookup = "name__iexact" if _case_insensitive_tags() else "name"
                tag = Tag.objects.filter(**{lookup: name}).order_by("pk").first()
                if tag is None:
                    tag = Tag.objects.create(name=name)
                found[name] = tag
    return found


def _case_insensitive_tags() -> bool:
    return getattr(settings, "TAGGIT_CASE_INSENSITIVE", False)


def _tag_key(name: str) -> str:
    return name.upper() if _case_insensitive_tags() else name


def _existing_tags(names: list[str]) -> dict[str, Tag]:
    if not names:
        return {}
    if _case_insensitive_tags():
        # UPPER, as Django's iexact on PostgreSQL (SQLite's iexact is ASCII-only, as its
        # UPPER); a name Python upper-cases otherwise is left to tags_named's last step.
        tags = Tag.objects.annotate(key=Upper("name")).filter(key__in={n.upper() for n in names})
    else:
        tags = Tag.objects.annotate(key=F("name")).filter(key__in=set(names))
    by_key: dict[str, Tag] = {}
    for tag in tags.order_by("pk"):
        by_key.setdefault(tag.key, tag)
    return {name: by_key[_tag_key(name)] for name in names if _tag_key(name) in by_key}
