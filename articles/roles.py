"""The desk's two roles: Reporters write drafts; Editors do everything with stories.

A new database gets the groups from the squashed migration 0001, which keeps its own copy
of these lists (migrations import no app code). :func:`ensure_roles` brings them back in a
database emptied since it was migrated (tests that flush, for one).
"""

from django.contrib.auth.models import Group, Permission

APP_LABELS = ["articles", "taggit"]
STORY_MODELS = ["story", "section", "taggedstory"]

ROLES = {
    "Reporter": [
        *(f"{action}_{model}" for model in STORY_MODELS for action in ("add", "change", "view")),
        # A reporter reshaping a draft may drop a section; stories stay the editors' to delete.
        "delete_section",
        "view_tag",
        "add_tag",
    ],
    "Editor": [
        *(
            f"{action}_{model}"
            for model in STORY_MODELS
            for action in ("add", "change", "delete", "view")
        ),
        "publish_story",
        *(f"{action}_tag" for action in ("add", "change", "delete", "view")),
    ],
}


def ensure_roles() -> None:
    """Create the Reporter and Editor groups with their permissions, or bring them back.

    The permissions are Django's own, made by ``migrate`` and again by ``flush``; a missing
    one is an error rather than a role quietly left without it.
    """
    for name, codenames in ROLES.items():
        permissions = list(
            Permission.objects.filter(
                content_type__app_label__in=APP_LABELS, codename__in=codenames
            )
        )
        missing = set(codenames) - {permission.codename for permission in permissions}
        if missing:
            raise LookupError(f"Permissions {sorted(missing)} do not exist: run migrate first.")
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
