"""Every write and its side effects: what the desk, the commands and the tests call.

One module per workflow; the public names are re-exported here, so callers write
``from articles import services`` and ``services.save_story(...)``:

- ``wire_copy``: files of wire copy, their sidecars, parsing with this site's settings,
  unsaved stories from parsed copy (nothing written);
- ``importing``: parsed copy saved as stories, idempotently, in batches;
  ``revisions``: the revision of each imported story;
  ``import_session``: a run of many batches (``manage.py import_wire``);
  ``takes``: later takes (updates, corrections, refiles, kills) finding and joining the
  story they belong to;
- ``editing``: stories created, saved, restored, recovered and deleted from the desk;
- ``publishing``: publishing, scheduling (at the embargo too), unpublishing; unique slugs
  per day;
- ``lifecycle``: kills and reinstatements; corrections and clarifications for readers;
- ``tags``: renaming, merging and deleting tags; tags found or made by name in bulk;
- ``permissions``: who may do what, checked before anything is written;
- ``effects``: the one small interface to the search index and the page caches: the
  models' signals record what each write changed, made current after commit
  (``stories_changed`` for writes no signal sees; ``purge_pages``, ``purge_everything``);
- ``history``: stories as revisions saved them, and what changed between two;
- ``fixtures``: the demo fixture, built from ``fixtures/source/`` and loaded by ``demo``.
"""

from articles.services.editing import (
    StaleEdit,
    create_story,
    delete_stories,
    recover_story,
    restore_version,
    save_sections,
    save_story,
)
from articles.services.effects import (
    REBUILD_BATCH,
    purge_everything,
    rebuild_search,
    search_is_stored,
)
from articles.services.effects import purge_on_commit as purge_pages
from articles.services.import_session import BatchFailed, ImportSession, first_takes_first
from articles.services.importing import ImportResult, import_wire_batch, import_wire_copy
from articles.services.lifecycle import (
    kill_story,
    mark_killed,
    mark_reinstated,
    prepare_correction,
    publish_correction,
    reinstate_story,
)
from articles.services.permissions import can_publish, require_publisher
from articles.services.publishing import (
    check_schedule_time,
    mark_published,
    mark_published_at_embargo,
    mark_scheduled,
    mark_unpublished,
    publish_at_embargo,
    publish_story,
    schedule_story,
    unpublish_story,
)
from articles.services.tags import delete_tags, merge_tags, save_tag
from articles.services.takes import (
    Match,
    TakeRefused,
    find_story,
    nearby_stories,
    stories_of_takes,
    take_label,
    take_time,
)
from articles.services.wire_copy import (
    SidecarError,
    WireCopy,
    failure_reason,
    parse_copy,
    read_copy,
    read_sidecar,
)

__all__ = [
    "REBUILD_BATCH",
    "BatchFailed",
    "ImportResult",
    "ImportSession",
    "Match",
    "SidecarError",
    "StaleEdit",
    "TakeRefused",
    "WireCopy",
    "can_publish",
    "check_schedule_time",
    "create_story",
    "delete_stories",
    "delete_tags",
    "failure_reason",
    "find_story",
    "first_takes_first",
    "import_wire_batch",
    "import_wire_copy",
    "kill_story",
    "mark_killed",
    "mark_published",
    "mark_published_at_embargo",
    "mark_reinstated",
    "mark_scheduled",
    "mark_unpublished",
    "merge_tags",
    "nearby_stories",
    "parse_copy",
    "prepare_correction",
    "publish_at_embargo",
    "publish_correction",
    "publish_story",
    "purge_everything",
    "purge_pages",
    "read_copy",
    "read_sidecar",
    "rebuild_search",
    "recover_story",
    "reinstate_story",
    "require_publisher",
    "restore_version",
    "save_sections",
    "save_story",
    "save_tag",
    "schedule_story",
    "search_is_stored",
    "stories_of_takes",
    "take_label",
    "take_time",
    "unpublish_story",
]
