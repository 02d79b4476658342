"""The wire desk: agency copy pasted or uploaded in the admin, previewed, saved as a draft."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from reversion.models import Version

from articles import services, wire
from articles.models import Story
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SEED = (
    Path(settings.BASE_DIR)
    / "fixtures/source/afp-2023-09-21-azerbaijan-claims-victory-karabakh.txt"
)
HEADLINE = "Azerbaijan claims victory after Karabakh separatists surrender"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.fixture
def url():
    return reverse("admin:articles_story_wire_desk")


@pytest.fixture
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def reporter(client):
    """A logged-in member of the Reporter group, made by the data migration."""
    user = make_user("rita", group="Reporter")
    assert user.groups.get() == Group.objects.get(name="Reporter")
    client.force_login(user)
    return user


def squeeze(response) -> str:
    """The page's HTML with runs of whitespace made one space, for stable assertions."""
    return re.sub(r"\s+", " ", response.content.decode())


def form_errors(response) -> list[str]:
    return [message for errors in response.context["form"].errors.values() for message in errors]


# Who may use it ---------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(client, url):
    """Someone not logged in is redirected to the admin login, and can import nothing."""
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.post(url, {"copy": SEED.read_text(), "_create": "1"})
    assert not Story.objects.exists()


def test_staff_without_add_permission_is_refused(client, url, seed_text):
    """A staff member who may not add stories gets 403 and creates nothing."""
    user = make_user("viewer")
    client.force_login(user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"copy": seed_text, "_create": "1"}).status_code == 403
    assert not Story.objects.exists()


def test_reporter_creates_a_draft_recorded_under_their_name(client, reporter, url, seed_text):
    """Reporters write drafts, so the desk is theirs too; the revision names them."""
    assert "Preview" in client.get(url).content.decode()
    response = client.post(url, {"copy": seed_text, "tags": "Azerbaijan", "_create": "1"})
    story = Story.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:articles_story_change", args=[story.pk])
    assert story.status == Story.Status.DRAFT
    assert Version.objects.get_for_object(story).get().revision.user == reporter


# Step 1: preview ------------------------------------------------------------------------


def test_form_has_labelled_fields_and_csrf_token(admin_client, url):
    """The empty desk offers a labelled textarea and file input, inside a CSRF-protected form."""
    html = admin_client.get(url).content.decode()
    assert '<label for="id_copy">Paste wire copy:</label>' in html
    assert '<label for="id_upload">Or upload a file:</label>' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "<title>Wire desk |" in html
    assert 'name="_create"' not in html


def test_preview_of_the_seed_shows_the_parsed_story_and_saves_nothing(
    admin_client, url, seed_text
):
    """Headline, dateline parts, filing time, sections with counts and tags; no story yet."""
    response = admin_client.post(url, {"copy": seed_text, "_preview": "Preview"})
    html = squeeze(response)
    assert response.status_code == 200
    assert f"<td>{HEADLINE}</td>" in html
    assert "<strong>BAKU, Sept 21, 2023 (BSS/AFP) -</strong>" in html
    assert '<th scope="row">Dateline place</th><td>BAKU</td>' in html
    assert '<time datetime="2023-09-21">21 September 2023</time>' in html
    assert '<th scope="row">Credit</th><td>BSS/AFP</td>' in html
    assert "21 Sep 2023, 09:55 (Asia/Dhaka time)" in html
    assert '<th scope="row">Paragraphs</th><td>37 in 4 sections</td>' in html
    for subheading, count in [("Truce deal", 14), ("'War is over'", 10)]:
        assert f'<th scope="row">{escape(subheading)}</th><td>{count}</td>' in html
    assert '<th scope="row">International pressure</th><td>4</td>' in html
    assert "<em>Lead (no subheading)</em></th><td>9</td>" in html
    assert "Azerbaijan, Karabakh, Armenian, Armenia, Baku, Nagorno-Karabakh" in html
    assert 'name="_create" value="Create draft"' in html
    assert not Story.objects.exists()


def test_preview_carries_the_copy_forward_read_only_with_editable_suggested_tags(
    admin_client, url, seed_text
):
    """Step 2 posts the same copy again, and the tags field starts with the suggestions."""
    response = admin_client.post(url, {"copy": seed_text, "_preview": "Preview"})
    html = response.content.decode()
    textarea = re.search(r"<textarea [^>]*name=\"copy\"[^>]*>", html).group(0)
    assert "readonly" in textarea
    assert escape(seed_text.splitlines()[2]) in html
    assert response.context["form"].initial["copy"] == seed_text
    tags = re.search(r"<input [^>]*name=\"tags\"[^>]*>", html).group(0)
    assert 'value="Aliyev, Armenia, Armenian, Azerbaijan, Baku, Karabakh, Moscow' in tags
    assert '<label for="id_tags">Tags:</label>' in html


def test_copy_without_a_dateline_or_timestamp_shows_the_parser_warnings(admin_client, url):
    """What the parser could not find is said plainly before anything is saved."""
    copy = "Floods close schools\n\nHeavy rain closed schools across the region on Monday.\n"
    html = squeeze(admin_client.post(url, {"copy": copy, "_preview": "Preview"}))
    assert '<li class="warning">No dateline found (line 3)</li>' in html
    assert '<li class="warning">No timestamp line: publication time not given</li>' in html
    assert '<th scope="row">Dateline</th><td>none found</td>' in html
    assert 'name="_create" value="Create draft"' in html
    assert not Story.objects.exists()


def test_copy_is_escaped_everywhere_it_is_shown(admin_client, url):
    """Markup in wire copy is shown as text, never run as HTML."""
    copy = (
        "<script>alert(1)</script> headline\n\n"
        "PARIS, Jan 5, 2024 (AFP) - A <b>bold</b> claim & more.\n"
        "- <i>Sub</i> -\nText.\n"
    )
    html = admin_client.post(url, {"copy": copy, "_preview": "Preview"}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; headline" in html
    assert "&lt;i&gt;Sub&lt;/i&gt;" in html
    assert "<script>alert(1)" not in html and "<i>Sub</i>" not in html


# Step 2: create ---------------------------------------------------------------------------


def test_create_draft_saves_one_story_with_the_chosen_tags(
    admin_client, admin_user, url, seed_text
):
    """One draft with four sections and the editor's tags; a revision by the editor."""
    response = admin_client.post(
        url,
        {"copy": seed_text, "tags": 'Azerbaijan, Armenia, "Nagorno-Karabakh"', "_create": "1"},
        follow=True,
    )
    story = Story.objects.get()
    change_url = reverse("admin:articles_story_change", args=[story.pk])
    assert response.redirect_chain == [(change_url, 302)]
    assert f"“{HEADLINE}” is saved as a draft" in response.content.decode()
    assert story.status == Story.Status.DRAFT and story.published_at is None
    assert story.source_text == seed_text
    assert story.sections.count() == 4
    assert sorted(story.tags.names()) == ["Armenia", "Azerbaijan", "Nagorno-Karabakh"]
    versions = Version.objects.get_for_object(story)
    assert versions.count() == 1
    assert versions.get().revision.user == admin_user


def test_upload_of_the_seed_file_previews_and_creates_the_same(admin_client, url, seed_text):
    """An uploaded file is read like pasted copy, and its text is what the draft keeps."""
    upload = SimpleUploadedFile(SEED.name, SEED.read_bytes(), content_type="text/plain")
    response = admin_client.post(url, {"upload": upload, "_preview": "Preview"})
    html = squeeze(response)
    assert "<strong>BAKU, Sept 21, 2023 (BSS/AFP) -</strong>" in html
    assert '<th scope="row">Truce deal</th><td>14</td>' in html
    assert not Story.objects.exists()

    carried = response.context["form"].initial["copy"]
    assert carried == seed_text
    admin_client.post(url, {"copy": carried, "tags": "Azerbaijan", "_create": "1"})
    story = Story.objects.get()
    assert story.headline == HEADLINE
    assert story.source_checksum == wire.checksum(SEED.read_text(encoding="utf-8"))
    assert story.sections.count() == 4


def test_copy_already_imported_links_to_the_story_and_creates_nothing(
    admin_client, url, seed_text
):
    """The preview points to the existing story; a second create sends the editor there."""
    existing = services.import_wire_copy(data=seed_text).story
    change_url = reverse("admin:articles_story_change", args=[existing.pk])

    html = squeeze(admin_client.post(url, {"copy": seed_text, "_preview": "Preview"}))
    assert f'This copy is already imported: <a href="{change_url}">{HEADLINE}</a>' in html
    assert 'name="_create"' not in html

    crlf = seed_text.replace("\n", "\r\n")
    response = admin_client.post(url, {"copy": crlf, "tags": "X", "_create": "1"}, follow=True)
    assert response.redirect_chain == [(change_url, 302)]
    assert f"This copy was imported before, as “{HEADLINE}”" in response.content.decode()
    assert Story.objects.count() == 1
    assert "X" not in existing.tags.names()


# Refusals -------------------------------------------------------------------------------


def test_empty_submission_is_a_form_error(admin_client, url):
    """Nothing pasted and no file: the form says what to do."""
    for data in ({"_preview": "Preview"}, {"copy": "  \n \n", "_create": "1"}):
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert form_errors(response) == ["Paste the wire copy, or choose a file to upload."]
        assert "Paste the wire copy, or choose a file to upload." in response.content.decode()
    assert not Story.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "The submitted file is empty."),
        ("photo.png", PNG, "binary data, not text (NUL byte at offset 8)"),
        ("photo.txt", PNG, "binary data, not text (NUL byte at offset 8)"),
        ("latin1.txt", "Floods\n\nPARIS (AFP) - Café.".encode("latin-1"), "not UTF-8 text"),
        ("nul.txt", b"Floods\n\nRain\x00", "binary data, not text (NUL byte at offset 12)"),
        (
            "huge.txt",
            b"a" * (wire.MAX_INPUT_BYTES + 1),
            f"The file is {wire.MAX_INPUT_BYTES + 1:,} bytes; "
            f"wire copy is at most {wire.MAX_INPUT_BYTES:,} bytes.",
        ),
    ],
    ids=["empty", "png", "png-named-txt", "latin1", "nul-byte", "oversized"],
)
def test_unusable_upload_is_a_form_error(admin_client, url, name, content, message):
    """Empty, binary, non-UTF-8 or oversized files are refused by content, in the form."""
    upload = SimpleUploadedFile(name, content, content_type="text/plain")
    response = admin_client.post(url, {"upload": upload, "_create": "1"})
    assert response.status_code == 200
    errors = response.context["form"].errors["upload"]
    assert any(message in error for error in errors), errors
    assert escape(message) in response.content.decode()
    assert not Story.objects.exists()


def test_parser_error_is_shown_with_its_line(admin_client, url):
    """Copy the parser rejects comes back in the form with the parser's one-line reason."""
    copy = "BAKU, Sept 21, 2023 (AFP) - Azerbaijan said on Wednesday it had won.\n"
    response = admin_client.post(url, {"copy": copy, "_create": "1"})
    assert response.status_code == 200
    expected = "line 1: no headline: the copy starts with a dateline paragraph"
    assert any(expected in error for error in response.context["form"].errors["copy"])
    assert escape(expected) in response.content.decode()
    assert not Story.objects.exists()


def test_pasted_copy_over_the_size_limit_is_a_form_error(admin_client, url):
    """A paste larger than any story is refused, with the limit in the message."""
    copy = "Headline\n\n" + "word " * (wire.MAX_INPUT_BYTES // 5 + 1)
    response = admin_client.post(url, {"copy": copy, "_preview": "Preview"})
    assert response.status_code == 200
    assert f"over {wire.MAX_INPUT_BYTES:,} bytes" in " ".join(form_errors(response))
    assert not Story.objects.exists()


def test_pasting_and_uploading_at_once_is_a_form_error(admin_client, url, seed_text):
    """The desk takes one piece of copy at a time, so it asks which one."""
    upload = SimpleUploadedFile(SEED.name, SEED.read_bytes())
    response = admin_client.post(url, {"copy": seed_text, "upload": upload, "_create": "1"})
    assert response.status_code == 200
    assert form_errors(response) == ["Paste the copy or upload a file, not both."]
    assert not Story.objects.exists()


def test_post_without_csrf_token_is_refused(admin_user, url, seed_text):
    """The desk is CSRF-protected: a forged POST creates nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(url, {"copy": seed_text, "_create": "1"})
    assert response.status_code == 403
    assert not Story.objects.exists()


def test_the_paste_box_stops_at_the_parser_limit(admin_client, url):
    """The browser itself refuses to take more copy than the parser accepts."""
    html = admin_client.get(url).content.decode()
    assert f'maxlength="{wire.MAX_INPUT_BYTES}"' in html
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= 4 * wire.MAX_INPUT_BYTES


@pytest.mark.parametrize("kind", ["paste", "upload"])
def test_a_body_too_big_is_refused_in_the_form_before_it_is_read(admin_user, url, settings, kind):
    """Past what the desk takes at once, the form says so (413) and nothing is read or made."""
    # Once an oversized paste met Django's bare 400 page, and an upload of any size was read
    # to disk before the view could refuse it.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.get(url)
    token = client.cookies["csrftoken"].value
    data = {"csrfmiddlewaretoken": token, "_preview": "Preview"}
    if kind == "paste":
        data["copy"] = "x" * 5000
    else:
        data["upload"] = SimpleUploadedFile("big.txt", b"x" * 5000)
    response = client.post(url, data)
    assert response.status_code == 413
    page = squeeze(response)
    assert "more than the desk takes at once" in page and "nothing of it was read" in page
    assert 'name="copy"' in page and 'name="upload"' in page  # the form, ready again
    assert not Story.objects.exists()


def test_the_size_is_checked_before_the_body_is_read(admin_client, url):
    """The refusal comes from Content-Length alone: a body never sent is never waited for."""
    response = admin_client.post(url, {"copy": "x"}, CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert response.status_code == 413
    assert "That is 52.4 MB" in squeeze(response)
    assert not Story.objects.exists()


def test_a_request_within_the_limit_still_needs_its_csrf_token(admin_user, url, seed_text):
    """The view checks CSRF itself after the size check: a forged small POST is a 403."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(url, {"copy": seed_text, "_create": "1"})
    assert response.status_code == 403
    assert not Story.objects.exists()


def test_a_tag_too_long_to_store_is_a_form_error(admin_client, url, seed_text):
    """A 101-character tag is refused in the form instead of failing in the database."""
    response = admin_client.post(url, {"copy": seed_text, "tags": "x" * 101, "_create": "1"})
    assert response.status_code == 200
    assert "A tag has at most 100 characters" in response.content.decode()
    assert not Story.objects.exists()


def test_copy_with_a_form_feed_goes_through_preview_and_create(admin_client, url):
    """The parser reads a form feed as a line break, so the desk takes such copy too."""
    copy = "21 Sep 2023, 09:55\n\nTalks resume\n\nBAKU (AFP) - Talks resumed.\x0cBoth met.\n"
    preview = admin_client.post(url, {"copy": copy, "_preview": "Preview"})
    assert preview.status_code == 200
    assert form_errors(preview) == []
    assert "2 in 1 section" in squeeze(preview)
    created = admin_client.post(url, {"copy": copy, "tags": "Baku", "_create": "1"})
    assert created.status_code == 302
    story = Story.objects.get()
    assert [s.paragraphs for s in story.sections.all()] == [["Talks resumed.", "Both met."]]
