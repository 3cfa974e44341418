"""Reads of cases."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import connections
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from cases.models import Case, CaseImport


def case_list_visible(*, user: User) -> QuerySet[Case]:
    """The cases the user may read: every case, for any authenticated user; without the embedding bytes."""
    return Case.objects.defer("embedding", "raw_payload")


# Longer searches are refused (the API and the page name the `search` field).
SEARCH_MAX_LENGTH = 200
SEARCH_CONFIG = "english"


def case_search(*, cases: QuerySet[Case], query: str) -> QuerySet[Case]:
    """The cases whose text matches the query.

    PostgreSQL: full text search in English (stemmed: "refund" finds "refunded"; web-search syntax: quotes,
    `or`, `-word`) on the stored `search_document` column and its GIN index (migration cases 0004; the model
    does not declare the column, PostgreSQL generates it). SQLite: every word of the query must appear in the
    text (case-insensitive LIKE for ASCII letters, no stemming, no index).
    """
    query = query.strip()
    if not query:
        return cases
    if connections[cases.db].vendor == "postgresql":
        table = connections[cases.db].ops.quote_name(Case._meta.db_table)
        return cases.filter(
            RawSQL(
                f"{table}.search_document @@ websearch_to_tsquery(%s::regconfig, %s)",
                (SEARCH_CONFIG, query),
                output_field=BooleanField(),
            )
        )
    for word in query.replace('"', " ").split():
        cases = cases.filter(text__icontains=word)
    return cases


def case_ids_never_embedded(*, ingested_before: datetime) -> list[int]:
    """Ids, in order, of the cases ingested before that moment that were never embedded."""
    return list(
        Case.objects.filter(embedded_at__isnull=True, ingested_at__lt=ingested_before)
        .order_by("id")
        .values_list("id", flat=True)
    )


def case_import_recent(*, limit: int = 20) -> QuerySet[CaseImport]:
    """The latest uploads, newest first, without their file's bytes."""
    return CaseImport.objects.defer("content", "rejections").select_related("uploaded_by")[:limit]


def case_import_get(*, import_id: int) -> CaseImport | None:
    """One upload without its file's bytes, or None."""
    return CaseImport.objects.defer("content").filter(pk=import_id).first()


def case_import_progress(*, case_import: CaseImport) -> dict:
    """What the page polls: the status, rows done of the total, the counts so far, and the refusal if any."""
    return {
        "id": case_import.pk,
        "status": case_import.status,
        "status_label": case_import.get_status_display(),
        "finished": case_import.is_finished,
        "rows_done": case_import.rows_done,
        "rows_total": case_import.rows_total,
        "created": case_import.created,
        "duplicates": case_import.duplicates,
        "rejected": case_import.rejected,
        "unreadable": case_import.unreadable,
        "skipped": case_import.skipped,
        "error": case_import.error,
    }
