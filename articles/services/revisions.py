"""The revision of an import batch, through reversion's public API.

One ``create_revision()`` block for the batch, with ``add_to_revision(story)`` for each of
its stories: reversion follows each story's sections and tags as the models register them,
and records who, what and when. Every story's history then has its "Imported from wire
copy" entry with its own versions, as a desk save makes them; the stories of one batch share
the revision, as the stories of a tag merge do. A revision per story would cost reversion's
half a dozen queries per story (its existence checks, the revision, its versions); one per
batch costs them once, whatever the batch's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import reversion
from django.db.models import Prefetch, prefetch_related_objects

from articles.models import Story, TaggedStory


def record_revisions(
    stories: Sequence[Story], *, user, comment: str, date_created: datetime
) -> None:
    """One revision holding these saved stories, each with its sections and tags.

    Inside the caller's transaction (the import's batch), whose rollback takes the revision
    with it. Called inside another revision block, the stories join that block's revision
    instead, as reversion nests revisions. The sections and tags of the whole batch are read
    first, in two queries, so following them costs no query per story.
    """
    if not stories:
        return
    prefetch_related_objects(
        list(stories),
        "sections",
        Prefetch("taggedstory_set", queryset=TaggedStory.objects.select_related("tag")),
    )
    with reversion.create_revision(atomic=False):
        for story in stories:
            reversion.add_to_revision(story)
        reversion.set_user(user)
        reversion.set_comment(comment)
        reversion.set_date_created(date_created)
