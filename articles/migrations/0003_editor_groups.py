"""The desk's two roles: Reporters write drafts; Editors do everything with stories."""

from django.db import migrations

from articles.roles import ensure_roles


def create_groups(apps, schema_editor):
    ensure_roles(apps)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reporter", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_story_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
