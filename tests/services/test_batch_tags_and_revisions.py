"""A batch's bulk tags and bulk revision: what taggit and reversion would have made."""

import pytest
import reversion
from reversion.models import Version
from taggit.models import Tag

from articles import services
from articles.models import Story, TaggedStory
from tests.factories import make_user
from tests.services.batch_helpers import wire_copy

pytestmark = pytest.mark.django_db


def test_tags_are_matched_to_existing_ones_whatever_their_case():
    """As taggit does: "baku" is the existing Baku, the first spelling of a new name makes
    the tag, and of two existing tags differing in case the older one is used."""
    baku = Tag.objects.create(name="Baku")
    older = Tag.objects.create(name="Yerevan")
    Tag.objects.create(name="YEREVAN", slug="yerevan-2")
    results = services.import_wire_batch(
        [
            wire_copy(1, tags=("baku", "Caucasus", "yerevan")),
            wire_copy(2, tags=("CAUCASUS", "Baku", "caucasus")),
        ]
    )
    first, second = (Story.objects.get(pk=r.story.pk) for r in results)
    assert sorted(first.tags.names()) == ["Baku", "Caucasus", "Yerevan"]
    assert sorted(second.tags.names()) == ["Baku", "Caucasus"]
    assert first.tags.get(name="Baku") == baku
    assert first.tags.get(name="Yerevan") == older
    assert Tag.objects.filter(name__iexact="caucasus").count() == 1
    assert Tag.objects.count() == 4


def test_a_new_tag_whose_slug_is_taken_gets_another_slug():
    """ "New York" beside an existing "New-York" is a tag of its own, slug new-york_1."""
    Tag.objects.create(name="New-York")
    services.import_wire_batch([wire_copy(1, tags=("New York",))])
    assert Tag.objects.get(name="New York").slug == "new-york_1"


def test_tags_come_out_as_taggit_makes_them():
    """The bulk path gives the same tags, slugs and story tags as ``story.tags.set()``."""
    names = ("Baku", "Nagorno-Karabakh", "São Tomé", "baku", "Армения")
    (result,) = services.import_wire_batch([wire_copy(1, tags=names)])
    bulk = sorted(Tag.objects.values_list("name", "slug"))
    story = Story.objects.get(pk=result.story.pk)
    TaggedStory.objects.all().delete()
    Tag.objects.all().delete()
    story.tags.set(list(names))
    assert sorted(Tag.objects.values_list("name", "slug")) == bulk


def test_revisions_are_the_ones_create_revision_makes():
    """Each imported story has, in its batch's one revision, the same versions, with the
    same serialised data, as ``reversion.create_revision()`` records for the story with its
    sections and tags (what the admin's history, compare and recover read); a published
    one's time in UTC ("Z"), not with the wire's offset."""
    user = make_user("wire", "Editor")
    results = services.import_wire_batch(
        [wire_copy(1), wire_copy(2), wire_copy(3, publish=True)], user=user
    )
    assert results[2].story.status == Story.Status.PUBLISHED
    batch_revisions = {
        Version.objects.get_for_object_reference(Story, r.story.pk).get().revision_id
        for r in results
    }
    assert len(batch_revisions) == 1
    for result in results:
        (imported,) = Version.objects.get_for_object_reference(Story, result.story.pk)
        assert (imported.revision.user, imported.revision.comment) == (
            user,
            "Imported from wire copy",
        )
        story = Story.objects.get(pk=result.story.pk)
        with reversion.create_revision():
            reversion.add_to_revision(story)
        reference = Version.objects.get_for_object_reference(Story, story.pk).first()
        assert reference.revision_id != imported.revision_id

        def rows(revision, story=story):
            """The revision's versions of this story, its sections, story tags and tags."""
            mine = {
                (type(obj), str(obj.pk))
                for obj in [
                    story,
                    *story.sections.all(),
                    *story.taggedstory_set.all(),
                    *story.tags.all(),
                ]
            }
            return [
                (v.content_type_id, v.object_id, v.db, v.format, v.object_repr, v.serialized_data)
                for v in revision.version_set.order_by("pk")
                if (v.content_type.model_class(), v.object_id) in mine
            ]

        # The order of story tags in a revision is the database's (reversion reads them
        # unordered), and a tag two stories share is in the batch's revision once, with the
        # first: the rows are compared as sets.
        assert sorted(rows(imported.revision)) == sorted(rows(reference.revision))
        assert len(rows(imported.revision)) == 1 + 4 + 2 * story.tags.count()


def test_an_imported_story_can_be_recovered_after_deletion(admin_user):
    """The bulk revision is enough to bring a deleted story back, sections and tags too."""
    (result,) = services.import_wire_batch([wire_copy(1, tags=("Baku", "Caucasus"))])
    pk = result.story.pk
    Story.objects.filter(pk=pk).delete()
    deleted = Version.objects.get_deleted(Story).get()
    story = services.recover_story(version=deleted, user=admin_user)
    assert story.pk == pk
    assert [len(s.paragraphs) for s in story.sections.all()] == [9, 14, 10, 4]
    assert sorted(story.tags.names()) == ["Baku", "Caucasus"]
