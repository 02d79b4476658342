"""Form fields shared by the admin's story form and the wire desk."""

from django.core.exceptions import ValidationError
from taggit.forms import TagField
from taggit.models import Tag

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length


class TagNamesField(TagField):
    """Comma-separated tag names, each short enough to be stored."""

    def clean(self, value):
        names = super().clean(value)
        too_long = [name for name in names if len(name) > TAG_MAX_LENGTH]
        if too_long:
            raise ValidationError(
                f"A tag has at most {TAG_MAX_LENGTH} characters; "
                f"“{too_long[0][:40]}…” has {len(too_long[0])}."
            )
        return names
