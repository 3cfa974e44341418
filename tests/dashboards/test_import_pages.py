"""The import page: upload a contacts file, follow its progress, read and download the refused rows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, CaseImport
from improvement.demo.seeding import demo_seed_people

pytestmark = pytest.mark.django_db

HEADER = "external_id,text,received_at,channel,brand\n"
GOOD_AND_BAD = (
    HEADER
    + "g1,my parcel never arrived,2026-11-20T09:30:00Z,chat,Parcelly\n"
    + "b1,,2026-11-20T09:31:00Z,chat,Parcelly\n"
).encode()


@pytest.fixture(autouse=True)
def _no_embedding(settings):
    settings.CASES_EMBED_ON_INGEST = False


@pytest.fixture
def people(db):
    return demo_seed_people()


def upload(client, content: bytes, **fields):
    data = {"file": SimpleUploadedFile("contacts.csv", content, content_type="text/csv"), "file_format": "generic"}
    data.update({"encoding": "utf-8", **fields})
    return client.post("/import/", data)


def test_lead_uploads_a_file_and_sees_its_summary_with_the_refused_rows(
    client, people, django_capture_on_commit_callbacks
):
    client.login(username="lead", password="demo")

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, GOOD_AND_BAD)

    case_import = CaseImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/import/{case_import.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert '<span id="case-import-status">Imported</span>' in page
    assert '<dd id="summary-created">1</dd>' in page
    assert '<dd id="summary-rejected">1</dd>' in page
    assert "<tr><td>3</td><td>text is required</td></tr>" in page
    assert "<script>" not in page and "onclick" not in page
    assert list(Case.objects.values_list("external_id", flat=True)) == ["g1"]


def test_the_status_json_gives_rows_done_of_the_total_and_the_counts(
    client, people, django_capture_on_commit_callbacks
):
    client.login(username="lead", password="demo")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD_AND_BAD)
    case_import = CaseImport.objects.get()

    status = client.get(f"/import/{case_import.pk}/status.json").json()

    assert status == {
        "id": case_import.pk,
        "status": "succeeded",
        "status_label": "Imported",
        "finished": True,
        "rows_done": 2,
        "rows_total": 2,
        "created": 1,
        "duplicates": 0,
        "rejected": 1,
        "unreadable": 0,
        "skipped": 0,
        "error": "",
    }


def test_a_queued_import_shows_an_empty_bar_and_loads_the_polling_script(client, people):
    client.login(username="lead", password="demo")
    upload(client, GOOD_AND_BAD)  # the test's transaction never commits, so the task is not sent
    case_import = CaseImport.objects.get()

    page = client.get(f"/import/{case_import.pk}/").content.decode()

    assert '<span id="case-import-status">Queued</span>' in page
    assert '<progress id="case-import-bar" max="1" value="0"></progress>' in page
    assert "0 / ? rows" in page
    assert '<script src="/static/dashboards/case_import.js" defer></script>' in page
    assert f'data-status-url="/import/{case_import.pk}/status.json"' in page


def test_the_refused_rows_download_as_csv(client, people, django_capture_on_commit_callbacks):
    client.login(username="admin", password="demo")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD_AND_BAD)
    case_import = CaseImport.objects.get()

    response = client.get(f"/import/{case_import.pk}/rejected-rows.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="import-{case_import.pk}-rejected-rows.csv"'
    assert response.content.decode() == "line,reason\r\n3,text is required\r\n"


def test_a_file_the_reader_refuses_is_shown_on_the_page_and_nothing_is_stored(client, people):
    client.login(username="lead", password="demo")
    Case.objects.create(channel="chat", external_id="kept", brand="B", text="t", received_at="2026-11-20T09:30:00Z")
    before = list(Case.objects.values())

    response = upload(client, b"id,body\n1,hello\n")

    assert response.status_code == 400
    assert (
        "contacts.csv was refused: the header lacks external_id (column &#x27;external_id&#x27;), text (column "
        "&#x27;text&#x27;), received_at (column &#x27;received_at&#x27;); found: id, body. Nothing was stored."
    ) in response.content.decode()
    assert not CaseImport.objects.exists()
    assert list(Case.objects.values()) == before


def test_an_upload_over_the_limit_is_refused_naming_the_limit(client, people, settings):
    settings.CASES_IMPORT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    client.login(username="lead", password="demo")

    response = upload(client, HEADER.encode() + b"x" * (2 * 1024 * 1024))

    assert response.status_code == 400
    assert f"The file is {2 * 1024 * 1024 + len(HEADER):,} bytes, over the upload limit of 2 MiB." in (
        response.content.decode()
    )
    assert not CaseImport.objects.exists()


def test_a_malformed_column_map_is_refused_naming_the_pair(client, people):
    client.login(username="lead", password="demo")

    response = upload(client, GOOD_AND_BAD, column_map="text=body,received_at")

    assert response.status_code == 400
    assert "a column map expects FIELD=COLUMN pairs, got &#x27;received_at&#x27;" in response.content.decode()
    assert not CaseImport.objects.exists()


@pytest.mark.parametrize("username", ["exec", "owner-logistics"])
def test_executives_and_owners_may_not_import(client, people, username):
    client.login(username=username, password="demo")

    assert client.get("/import/").status_code == 403
    assert upload(client, GOOD_AND_BAD).status_code == 403
    assert not CaseImport.objects.exists()


@pytest.mark.parametrize(("username", "has_link"), [("lead", True), ("admin", True), ("exec", False)])
def test_the_navigation_links_the_import_page_for_leads_and_admins(client, people, username, has_link):
    client.login(username=username, password="demo")

    page = client.get("/issues/").content.decode()

    assert ('<a href="/import/">Import</a>' in page) is has_link
