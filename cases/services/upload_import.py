"""Contacts files uploaded in the browser: checked and stored on upload, imported by a task with its progress.

The upload is refused as a whole (ImportFileError, nothing stored) when it is over the size limit or when the
reader refuses it (encoding, header, columns, column map); otherwise its bytes are kept on a `CaseImport` row
and `cases.case_import_run_task` is sent after commit. The task streams it through `case_import_file`, writing
rows done (of the rows counted first) and the counts so far to the row after each batch, which the page polls.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import CaseImport
from cases.services.file_import import (
    ImportFileError,
    ImportSummary,
    case_import_check,
    case_import_count_rows,
    case_import_file,
)
from core.jobs import enqueue_on_commit

UPLOAD_BATCH_SIZE = 1_000


def upload_size_limit_text() -> str:
    """The upload limit in words, e.g. "20 MiB"."""
    limit = settings.CASES_IMPORT_MAX_UPLOAD_BYTES
    return f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit:,} bytes"


def case_import_upload(
    *,
    by: User,
    file_name: str,
    content: bytes,
    file_format: str,
    column_map: Mapping[str, str] | None = None,
    default_brand: str = "",
    default_channel: str = "",
    encoding: str = "utf-8",
) -> CaseImport:
    """Store an uploaded file for import and send its task after commit; ImportFileError refuses it, storing nothing."""
    if len(content) > settings.CASES_IMPORT_MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"the file is {len(content):,} bytes, over the upload limit of {upload_size_limit_text()}; "
            "split it, or import it with `make import`"
        )
    case_import_check(
        binary_file=io.BytesIO(content), file_format=file_format, column_map=column_map, encoding=encoding
    )
    case_import = CaseImport.objects.create(
        uploaded_by=by,
        file_name=file_name[:255],
        file_format=file_format,
        column_map=dict(column_map or {}),
        default_brand=default_brand,
        default_channel=default_channel,
        encoding=encoding,
        content=content,
        size_bytes=len(content),
    )
    enqueue_on_commit("cases.case_import_run_task", case_import.pk)
    return case_import


def _record_progress(*, import_id: int, summary: ImportSummary) -> None:
    CaseImport.objects.filter(pk=import_id).update(
        rows_done=summary.rows_in_file,
        created=summary.created,
        duplicates=summary.duplicates,
        rejected=summary.rejected,
        unreadable=summary.unreadable,
        skipped=summary.skipped,
    )


def case_import_run(*, import_id: int) -> CaseImport | None:
    """Import a stored upload; None when another run already claimed it (safe to run twice).

    A refusal found only while importing marks it `refused` with the reader's message; the rows stored up
    to there stay (each batch commits, as with `import_cases`).
    """
    claimed = CaseImport.objects.filter(pk=import_id, status=CaseImport.Status.QUEUED).update(
        status=CaseImport.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    case_import = CaseImport.objects.get(pk=import_id)
    with tempfile.TemporaryDirectory(prefix="fixloop-import-") as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(bytes(case_import.content))
        try:
            with open(path, "rb") as binary_file:
                rows_total = case_import_count_rows(binary_file=binary_file, encoding=case_import.encoding)
            CaseImport.objects.filter(pk=import_id).update(rows_total=rows_total)
            summary = case_import_file(
                path=path,
                file_format=case_import.file_format,
                column_map=case_import.column_map,
                default_brand=case_import.default_brand,
                default_channel=case_import.default_channel,
                encoding=case_import.encoding,
                batch_size=UPLOAD_BATCH_SIZE,
                reported_rejections=settings.CASES_IMPORT_RECORDED_REJECTIONS,
                on_batch=lambda so_far: _record_progress(import_id=import_id, summary=so_far),
            )
        except ImportFileError as error:
            CaseImport.objects.filter(pk=import_id).update(
                status=CaseImport.Status.REFUSED, error=str(error), finished_at=timezone.now()
            )
            return CaseImport.objects.get(pk=import_id)
        except Exception as error:
            CaseImport.objects.filter(pk=import_id).update(
                status=CaseImport.Status.FAILED,
                error=f"{error.__class__.__name__}: {error}",
                finished_at=timezone.now(),
            )
            raise
    _record_progress(import_id=import_id, summary=summary)
    CaseImport.objects.filter(pk=import_id).update(
        status=CaseImport.Status.SUCCEEDED,
        rejections=[[line, reason] for line, reason in sorted(summary.first_rejections)],
        finished_at=timezone.now(),
    )
    return CaseImport.objects.get(pk=import_id)
