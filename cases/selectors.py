"""Reads of cases."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import QuerySet

from cases.models import Case


def case_list_visible(*, user: User) -> QuerySet[Case]:
    """The cases the user may read: every case, for any authenticated user; without the embedding bytes."""
    return Case.objects.defer("embedding", "raw_payload")


def case_ids_never_embedded(*, ingested_before: datetime) -> list[int]:
    """Ids, in order, of the cases ingested before that moment that were never embedded."""
    return list(
        Case.objects.filter(embedded_at__isnull=True, ingested_at__lt=ingested_before)
        .order_by("id")
        .values_list("id", flat=True)
    )
