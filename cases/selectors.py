"""Reads of cases."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from cases.models import Case


def case_list_visible(*, user: User) -> QuerySet[Case]:
    """The cases the user may read: every case, for any authenticated user; without the embedding bytes."""
    return Case.objects.defer("embedding", "raw_payload")
