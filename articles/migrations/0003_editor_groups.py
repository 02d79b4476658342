"""The desk's two roles: Reporters write drafts; Editors do everything with stories."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STORY_MODELS = ["story", "section", "taggedstory"]

REPORTER = [
    *(f"{action}_{model}" for model in STORY_MODELS for action in ("add", "change", "view")),
    "view_tag",
    "add_tag",
]
EDITOR = [
    *(
        f"{action}_{model}"
        for model in STORY_MODELS
        for action in ("add", "change", "delete", "view")
    ),
    "publish_story",
    *(f"{action}_tag" for action in ("add", "change", "delete", "view")),
]


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; these groups need them now.
    for app_label in ("articles", "taggit"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Reporter", REPORTER), ("Editor", EDITOR)):
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label__in=["articles", "taggit"], codename__in=codenames
        )
        assert permissions.count() == len(set(codenames)), name
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reporter", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_story_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
