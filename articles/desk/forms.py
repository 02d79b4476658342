"""Form fields and checks shared by the desk's forms (the story admin, the wire desk, tags).

Text is checked where it comes in, once: what the parser refuses in wire copy
(``wire.unsafe_character``: control characters, U+FFFE, U+FFFF, which feeds and sitemaps
cannot carry in XML 1.0) the forms refuse too, with a message that names the character, so
nothing stored can break a page, a feed or a sitemap later.
"""

from django.core.exceptions import ValidationError
from taggit.forms import TagField

from articles import wire
from articles.models import TAG_MAX_LENGTH


def check_publishable(text: str) -> None:
    """Raise ValidationError if ``text`` has a character no page or feed can carry."""
    found = wire.unsafe_character(text)
    if found is None:
        return
    offset, char = found
    before = text[max(0, offset - 30) : offset].split()
    where = f" after “{' '.join(before[-4:])}”" if before else " at the start"
    raise ValidationError(
        f"Remove the invisible character {wire.describe_character(char)}{where}: "
        "feeds and search engines cannot carry it."
    )


class PublishableTextMixin:
    """For a form: every text field must be publishable (tags check themselves, in
    :class:`TagNamesField`). ``unchecked_fields`` names fields checked elsewhere."""

    unchecked_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and name not in self.unchecked_fields:
                try:
                    check_publishable(value)
                except ValidationError as error:
                    self.add_error(name, error)
        return cleaned


class TagNamesField(TagField):
    """Comma-separated tag names, each short enough to be stored and publishable."""

    def clean(self, value):
        names = super().clean(value)
        too_long = [name for name in names if len(name) > TAG_MAX_LENGTH]
        if too_long:
            raise ValidationError(
                f"A tag has at most {TAG_MAX_LENGTH} characters; "
                f"“{too_long[0][:40]}…” has {len(too_long[0])}."
            )
        for name in names:
            check_publishable(name)
        return names
