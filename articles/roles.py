"""The desk's two roles: Reporters write drafts; Editors do everything with stories.

Used by the data migration that creates the groups, and by anything that needs them to
exist again after a database has been emptied (tests that flush, for one).
"""

from django.apps import apps as installed_apps
from django.contrib.auth.management import create_permissions

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


def ensure_roles(apps=installed_apps) -> None:
    """Create the Reporter and Editor groups with their permissions, or bring them back."""
    for app_label in ("articles", "taggit"):
        app_config = apps.get_app_config(app_label)
        # Migration state stubs lack models_module; create_permissions skips apps without.
        had_module = getattr(app_config, "models_module", None)
        app_config.models_module = had_module or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = had_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label__in=["articles", "taggit"], codename__in=codenames
        )
        group.permissions.set(permissions)
