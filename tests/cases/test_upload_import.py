"""Uploaded contacts files: refused whole with nothing stored, or imported by the task with progress and rejections."""

from __future__ import annotations

import pytest

from cases.models import Case, CaseImport
from cases.services.file_import import ImportFileError, case_import_file
from cases.services.upload_import import case_import_run, case_import_upload
from tests.factories import UserFactory
from tests.utils import wait_until

HEADER = "external_id,text,received_at,channel,brand\n"
GOOD_AND_BAD = (
    HEADER
    + "g1,my parcel never arrived,2026-11-20T09:30:00Z,chat,Parcelly\n"
    + "b1,,2026-11-20T09:31:00Z,chat,Parcelly\n"
    + "g2,app logs me out,2026-11-20T09:32:00Z,chat,Parcelly\n"
    + "b2,wrong date,20/11/2026,chat,Parcelly\n"
    + "b3,too,many,columns,here,x\n"
).encode()


@pytest.fixture(autouse=True)
def _no_embedding(settings):
    settings.CASES_EMBED_ON_INGEST = False


@pytest.fixture
def uploader(db):
    return UserFactory(username="uploader")


def test_upload_imports_the_good_rows_and_records_each_refused_row_with_its_line(
    uploader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_import = case_import_upload(by=uploader, file_name="mine.csv", content=GOOD_AND_BAD, file_format="generic")

    case_import.refresh_from_db()
    assert case_import.status == CaseImport.Status.SUCCEEDED
    assert (case_import.rows_total, case_import.rows_done) == (5, 5)
    assert (case_import.created, case_import.duplicates, case_import.rejected, case_import.unreadable) == (2, 0, 2, 1)
    assert case_import.rejections == [
        [3, "text is required"],
        [5, "received_at is not an ISO 8601 date-time: '20/11/2026'"],
        [6, "expected 5 columns, found 6"],
    ]
    assert sorted(Case.objects.values_list("external_id", flat=True)) == ["g1", "g2"]


def test_upload_of_a_file_already_imported_counts_duplicates_and_changes_no_case(
    uploader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_import_upload(by=uploader, file_name="a.csv", content=GOOD_AND_BAD, file_format="generic")
    before = list(Case.objects.order_by("pk").values())

    with django_capture_on_commit_callbacks(execute=True):
        again = case_import_upload(by=uploader, file_name="a.csv", content=GOOD_AND_BAD, file_format="generic")

    again.refresh_from_db()
    assert (again.created, again.duplicates) == (0, 2)
    assert list(Case.objects.order_by("pk").values()) == before


def test_upload_without_the_needed_columns_is_refused_storing_nothing(uploader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ImportFileError) as refusal:
        case_import_upload(by=uploader, file_name="x.csv", content=b"id,body\n1,hello\n", file_format="generic")

    assert str(refusal.value) == (
        "the header lacks external_id (column 'external_id'), text (column 'text'), received_at (column "
        "'received_at'); found: id, body"
    )
    assert callbacks == []
    assert not CaseImport.objects.exists()
    assert not Case.objects.exists()


def test_upload_over_the_size_limit_is_refused_naming_the_limit(uploader, settings):
    settings.CASES_IMPORT_MAX_UPLOAD_BYTES = 100

    with pytest.raises(ImportFileError) as refusal:
        case_import_upload(by=uploader, file_name="big.csv", content=GOOD_AND_BAD, file_format="generic")

    assert str(refusal.value) == (
        f"the file is {len(GOOD_AND_BAD)} bytes, over the upload limit of 100 bytes; split it, or import it "
        "with `make import`"
    )
    assert not CaseImport.objects.exists()


def test_upload_in_a_wrong_encoding_is_refused_by_the_reader(uploader):
    content = (HEADER + "g1,caf\xe9 closed,2026-11-20T09:30:00Z,chat,Parcelly\n").encode("cp1252")

    with pytest.raises(ImportFileError) as refusal:
        case_import_upload(by=uploader, file_name="w.csv", content=content, file_format="generic")

    assert str(refusal.value) == (
        "the file is not valid utf-8: byte 0xE9 at offset 49 (line 2) cannot be decoded; it reads as Windows-1252 "
        "(cp1252) 'g1,caf\xe9 closed,2026-11-20T09:30:00Z,': if that is the file's encoding, import it declaring "
        "that encoding (--encoding cp1252), or save the file as UTF-8"
    )
    assert not CaseImport.objects.exists()


def test_upload_with_a_column_map_reads_renamed_columns(uploader, django_capture_on_commit_callbacks):
    content = b"id,body,created\nr1,hello there,2026-11-20T09:30:00+01:00\n"

    with django_capture_on_commit_callbacks(execute=True):
        case_import = case_import_upload(
            by=uploader,
            file_name="renamed.csv",
            content=content,
            file_format="generic",
            column_map={"external_id": "id", "text": "body", "received_at": "created"},
            default_brand="Parcelly",
            default_channel="email",
        )

    case_import.refresh_from_db()
    assert case_import.created == 1
    case = Case.objects.get()
    assert (case.external_id, case.text, case.brand, case.channel) == ("r1", "hello there", "Parcelly", "email")


def test_running_an_import_twice_imports_it_once(uploader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        case_import = case_import_upload(by=uploader, file_name="a.csv", content=GOOD_AND_BAD, file_format="generic")

    first = case_import_run(import_id=case_import.pk)
    second = case_import_run(import_id=case_import.pk)

    assert first is not None and first.created == 2
    assert second is None
    assert Case.objects.count() == 2


def test_a_large_upload_counts_its_rows_first_and_ends_with_all_done(uploader, django_capture_on_commit_callbacks):
    rows = "".join(f"c{number},contact {number},2026-11-20T09:30:00Z,chat,Parcelly\n" for number in range(2_500))
    with django_capture_on_commit_callbacks(execute=False):
        case_import = case_import_upload(
            by=uploader, file_name="many.csv", content=(HEADER + rows).encode(), file_format="generic"
        )

    case_import_run(import_id=case_import.pk)

    case_import.refresh_from_db()
    assert (case_import.rows_total, case_import.rows_done, case_import.created) == (2_500, 2_500, 2_500)
    assert case_import.rejections == []


def test_case_import_file_reports_the_counts_so_far_after_each_batch(db, tmp_path):
    path = tmp_path / "many.csv"
    rows = "".join(f"c{number},contact {number},2026-11-20T09:30:00Z,chat,Parcelly\n" for number in range(2_500))
    path.write_text(HEADER + rows, encoding="utf-8")
    seen = []

    case_import_file(
        path=path,
        file_format="generic",
        batch_size=1_000,
        on_batch=lambda summary: seen.append((summary.rows_in_file, summary.created)),
    )

    assert seen == [(1_000, 1_000), (2_000, 2_000), (2_500, 2_500)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_an_upload_is_imported_by_a_real_worker_reading_the_file_from_the_database(celery_worker_process):
    uploader = UserFactory(username="uploader")
    case_import = CaseImport.objects.create(
        uploaded_by=uploader, file_name="mine.csv", file_format="generic", content=GOOD_AND_BAD, size_bytes=1
    )

    celery_worker_process("cases.case_import_run_task", case_import.pk)

    assert wait_until(
        lambda: CaseImport.objects.filter(pk=case_import.pk, status=CaseImport.Status.SUCCEEDED).exists(), timeout=120
    )
    case_import.refresh_from_db()
    assert (case_import.rows_total, case_import.created, case_import.rejected, case_import.unreadable) == (5, 2, 2, 1)
    assert sorted(Case.objects.values_list("external_id", flat=True)) == ["g1", "g2"]
