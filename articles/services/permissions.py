"""Who may do what: the checks every workflow makes before it writes anything.

A ``user`` of ``None`` is the operator running a command (``import_wire``, ``demo``), let
through only where a workflow says so (importing); the desk always passes the signed-in user.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

PUBLISH_PERMISSION = "articles.publish_story"


def can_publish(user) -> bool:
    """Whether ``user`` may publish, schedule and unpublish stories, and change public ones."""
    return user is not None and user.has_perm(PUBLISH_PERMISSION)


def require_publisher(user) -> None:
    if not can_publish(user):
        raise PermissionDenied("Only editors can publish, schedule or unpublish stories.")


def require(user, permission: str, message: str) -> None:
    """``PermissionDenied(message)`` unless ``user`` has ``permission``."""
    if user is None or not user.has_perm(permission):
        raise PermissionDenied(message)


def require_tag_editor(user) -> None:
    if user is None or not (
        user.has_perm("taggit.change_tag") and user.has_perm("taggit.delete_tag")
    ):
        raise PermissionDenied("Only editors who may change and delete tags can do this.")
