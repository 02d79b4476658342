"""Tag housekeeping: usage counts in the tag admin, and merging near-duplicate tags."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from taggit.models import Tag

from articles import services
from articles.models import Story, TaggedStory
from articles.services import history
from tests.factories import make_story, story_form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:taggit_tag_changelist")
COMMENT = "Merged tags Karabakh, NK into Nagorno-Karabakh"


@pytest.fixture
def karabakh_stories():
    """Five stories on one subject under three spellings, and one on something else."""
    return {
        "both": make_story(tags=["Karabakh", "Nagorno-Karabakh"]),
        "old": make_story(tags=["Karabakh"]),
        "short": make_story(tags=["NK", "Baku"]),
        "two_sources": make_story(tags=["Karabakh", "NK"]),
        "target": make_story(tags=["Nagorno-Karabakh"]),
        "other": make_story(tags=["Baku"]),
    }


def tag(name: str) -> Tag:
    return Tag.objects.get(name=name)


def tag_names(story: Story) -> list[str]:
    return sorted(story.tags.names())


def merge_karabakh(user) -> int:
    return services.merge_tags(
        target=tag("Nagorno-Karabakh"), sources=[tag("Karabakh"), tag("NK")], user=user
    )


def select_action(client, tags, **data):
    """The POST the tag changelist's action bar sends."""
    return client.post(
        CHANGELIST,
        {"action": "merge_selected", ACTION_CHECKBOX_NAME: [t.pk for t in tags], **data},
        follow=True,
    )


# The service -------------------------------------------------------------------------


def test_merge_gives_every_story_the_target_exactly_once(editor, karabakh_stories):
    """Stories with a source get the target; one with source and target keeps one target."""
    changed = merge_karabakh(editor)
    assert changed == 4
    stories = karabakh_stories
    assert tag_names(stories["both"]) == ["Nagorno-Karabakh"]
    assert tag_names(stories["old"]) == ["Nagorno-Karabakh"]
    assert tag_names(stories["short"]) == ["Baku", "Nagorno-Karabakh"]
    assert tag_names(stories["two_sources"]) == ["Nagorno-Karabakh"]
    assert tag_names(stories["target"]) == ["Nagorno-Karabakh"]
    assert tag_names(stories["other"]) == ["Baku"]
    assert TaggedStory.objects.filter(tag__name="Nagorno-Karabakh").count() == 5


def test_merge_deletes_the_sources_but_never_the_target(editor, karabakh_stories):
    """The source tags are gone; the target survives even when selected as a source."""
    target = tag("Nagorno-Karabakh")
    services.merge_tags(target=target, sources=Tag.objects.exclude(name="Baku"), user=editor)
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Baku", "Nagorno-Karabakh"]
    assert tag("Nagorno-Karabakh").pk == target.pk


def test_merge_bumps_the_version_of_each_changed_story_only(editor, karabakh_stories):
    """Stories that had a source tag go up one version; the others keep theirs."""
    merge_karabakh(editor)
    versions = {
        key: Story.objects.values_list("version", flat=True).get(pk=story.pk)
        for key, story in karabakh_stories.items()
    }
    assert versions == {
        "both": 2,
        "old": 2,
        "short": 2,
        "two_sources": 2,
        "target": 1,
        "other": 1,
    }


def test_merge_keeps_a_revision_with_who_and_what(editor, karabakh_stories):
    """Each changed story has a new revision by the editor naming the merged tags."""
    merge_karabakh(editor)
    story = karabakh_stories["short"]
    latest = history.story_versions(story.pk).first()
    assert latest.revision.comment == COMMENT
    assert latest.revision.user == editor
    snapshot = history.snapshot_of_version(latest)
    assert snapshot.tags == ("Baku", "Nagorno-Karabakh")
    assert snapshot.version == 2
    unchanged = history.story_versions(karabakh_stories["other"].pk).first()
    assert unchanged.revision.comment == "Created by a test"


def test_an_editor_with_the_story_open_gets_a_conflict_after_a_merge(
    client, editor, karabakh_stories
):
    """Saving a form opened before the merge is refused, so the old tag does not come back."""
    story = karabakh_stories["old"]
    opened = story_form_data(story)
    merge_karabakh(editor)
    client.force_login(editor)
    response = client.post(reverse("admin:articles_story_change", args=[story.pk]), opened)
    assert response.status_code == 200
    assert "after you opened it" in response.content.decode()
    assert tag_names(story) == ["Nagorno-Karabakh"]
    assert not Tag.objects.filter(name="Karabakh").exists()


@pytest.mark.parametrize("size", [2, 20])
def test_merge_runs_a_fixed_number_of_queries(editor, django_assert_max_num_queries, size):
    """Merging touches any number of stories in 23 queries (measured at 2), not a few per
    story (one of them finds the next scheduled story for the page cache)."""
    for n in range(size):
        make_story(
            tags=["Karabakh", "NK"] if n % 2 else ["Karabakh", "Nagorno-Karabakh"],
            sections=[("", ["Lead."]), ("More", ["Body."])],
        )
    target, sources = tag("Nagorno-Karabakh"), [tag("Karabakh"), tag("NK")]
    editor.has_perm("taggit.change_tag")  # fill the permission cache outside the budget
    with django_assert_max_num_queries(23):
        assert services.merge_tags(target=target, sources=sources, user=editor) == size
    assert TaggedStory.objects.filter(tag=target).count() == size


def test_a_reporter_cannot_merge_tags(reporter, karabakh_stories):
    """Without permission to delete tags the service refuses and changes nothing."""
    with pytest.raises(PermissionDenied):
        merge_karabakh(reporter)
    assert Tag.objects.count() == 4
    assert tag_names(karabakh_stories["old"]) == ["Karabakh"]
    assert Story.objects.filter(version__gt=1).count() == 0


# The changelist ------------------------------------------------------------------------


def test_changelist_shows_how_many_stories_use_each_tag(admin_client, karabakh_stories):
    """Each tag's count links to the story list filtered by that tag; editors can merge."""
    html = admin_client.get(CHANGELIST).content.decode()
    assert 'value="merge_selected">Merge selected tags into one…</option>' in html
    story_list = reverse("admin:articles_story_changelist")
    assert f'<a href="{story_list}?tag=nagorno-karabakh">2</a>' in html
    assert f'<a href="{story_list}?tag=karabakh">3</a>' in html
    assert f'<a href="{story_list}?tag=baku">2</a>' in html
    linked = admin_client.get(story_list, {"tag": "baku"}).content.decode()
    assert linked.count('class="field-tag_list"') == 2


def test_changelist_sorts_by_usage(admin_client, karabakh_stories):
    """Sorting on the stories column puts the most used tag first."""
    response = admin_client.get(CHANGELIST, {"o": "-3.1"})
    names = [t.name for t in response.context["cl"].result_list]
    assert names == ["Karabakh", "Baku", "NK", "Nagorno-Karabakh"]


@pytest.mark.parametrize("size", [2, 20])
def test_changelist_runs_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, size
):
    """Names, slugs and usage counts for any number of tags in 5 queries (measured at 2)."""
    for n in range(size):
        make_story(tags=[f"Tag {n}", "Shared"])
    with django_assert_max_num_queries(5):
        response = admin_client.get(CHANGELIST)
    html = response.content.decode()
    assert html.count('class="field-story_count"') == size + 1
    assert f">{size}</a>" in html


# The merge action ----------------------------------------------------------------------


def test_merge_action_asks_for_confirmation_first(admin_client, karabakh_stories):
    """The first step lists the selected tags with their counts and changes nothing."""
    selected = [tag("Karabakh"), tag("NK"), tag("Nagorno-Karabakh")]
    response = select_action(admin_client, selected, index=0)
    assert response.templates[0].name == "admin/taggit/tag/merge.html"
    html = response.content.decode()
    for t in selected:
        assert f'name="target" value="{t.pk}"' in html
        assert f'name="{ACTION_CHECKBOX_NAME}" value="{t.pk}"' in html
    assert [(t.name, t.story_count) for t in response.context["tags"]] == [
        ("Karabakh", 3),
        ("NK", 2),
        ("Nagorno-Karabakh", 2),
    ]
    assert f'value="{selected[0].pk}" id="id_target_0" checked' in html
    assert Tag.objects.count() == 4
    assert Story.objects.filter(version__gt=1).count() == 0


def test_confirming_the_merge_merges(admin_client, karabakh_stories):
    """The confirmation merges into the chosen tag and says what it did."""
    target = tag("Nagorno-Karabakh")
    response = select_action(
        admin_client,
        [tag("Karabakh"), tag("NK"), target],
        confirm_merge="1",
        target=target.pk,
    )
    html = response.content.decode()
    assert "Merged 2 tags into Nagorno-Karabakh; 4 stories updated." in html
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Baku", "Nagorno-Karabakh"]
    assert tag_names(karabakh_stories["two_sources"]) == ["Nagorno-Karabakh"]
    assert "?tag=nagorno-karabakh" in html


def test_confirming_without_a_choice_asks_again(admin_client, karabakh_stories):
    """A confirmation with no tag to keep shows the page again with an error."""
    response = select_action(admin_client, [tag("Karabakh"), tag("NK")], confirm_merge="1")
    assert "Choose the tag to keep." in response.content.decode()
    assert Tag.objects.count() == 4


def test_merging_needs_at_least_two_tags(admin_client, karabakh_stories):
    """One selected tag gives an error message and changes nothing."""
    response = select_action(admin_client, [tag("Karabakh")], index=0)
    assert "Select at least two tags to merge; nothing was changed." in response.content.decode()
    assert Tag.objects.count() == 4
    assert tag_names(karabakh_stories["old"]) == ["Karabakh"]


def test_a_reporter_cannot_merge_from_the_admin(client, reporter, karabakh_stories):
    """A reporter sees no merge action, and a hand-made POST of it changes nothing."""
    client.force_login(reporter)
    html = client.get(CHANGELIST).content.decode()
    assert "Nagorno-Karabakh" in html
    assert 'value="merge_selected"' not in html
    target = tag("Nagorno-Karabakh")
    selected = [tag("Karabakh"), tag("NK"), target]
    asked = select_action(client, selected, index=0)
    assert "admin/taggit/tag/merge.html" not in [t.name for t in asked.templates]
    confirmed = select_action(client, selected, confirm_merge="1", target=target.pk)
    assert "Merged" not in confirmed.content.decode()
    assert Tag.objects.count() == 4
    assert tag_names(karabakh_stories["old"]) == ["Karabakh"]


def test_renaming_a_tag_in_the_admin_versions_its_stories(client, editor):
    """A rename bumps each tagged story's version and keeps a revision saying so."""
    story = make_story(tags=["Karabah"])
    other = make_story(tags=["Baku"])
    client.force_login(editor)
    url = reverse("admin:taggit_tag_change", args=[tag("Karabah").pk])
    response = client.post(url, {"name": "Karabakh", "slug": "karabakh"})
    assert response.status_code == 302
    story.refresh_from_db()
    other.refresh_from_db()
    assert (story.version, other.version) == (2, 1)
    assert tag_names(story) == ["Karabakh"]
    revision = history.story_versions(story.pk).first().revision
    assert (revision.user, revision.comment) == (editor, "Tag renamed to Karabakh")


def test_deleting_tags_in_the_admin_versions_their_stories(client, editor):
    """Deleting tags (one or several) bumps the stories that carried them."""
    story = make_story(tags=["Obsolete", "Baku"])
    client.force_login(editor)
    url = reverse("admin:taggit_tag_delete", args=[tag("Obsolete").pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    story.refresh_from_db()
    assert story.version == 2
    assert tag_names(story) == ["Baku"]
    assert history.story_versions(story.pk).first().revision.comment == ("Tags deleted: Obsolete")
