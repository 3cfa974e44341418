"""Searching case texts: PostgreSQL full text search (with its GIN index), or every word on SQLite."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.models import Case
from cases.selectors import case_search
from tests.improvement.workflow_factories import CaseFactory

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def texts():
    return {
        text: CaseFactory(text=text).pk
        for text in (
            "Where is my REFUND for the cancelled flight?",
            "refund requested twice, nothing yet",
            "bag lost in transit",
            "the voucher code does not work",
        )
    }


def _found(query: str) -> set[str]:
    return set(case_search(cases=Case.objects.all(), query=query).values_list("text", flat=True))


def test_search_finds_the_texts_holding_the_word_whatever_its_case(texts):
    assert _found("refund") == {"Where is my REFUND for the cancelled flight?", "refund requested twice, nothing yet"}


def test_search_needs_every_word(texts):
    assert _found("refund flight") == {"Where is my REFUND for the cancelled flight?"}


def test_blank_search_keeps_every_case(texts):
    assert len(_found("   ")) == 4


@pytest.mark.skipif(not ON_POSTGRESQL, reason="stemming is PostgreSQL's full text search")
def test_postgresql_search_is_stemmed(texts):
    assert _found("refunds") == {"Where is my REFUND for the cancelled flight?", "refund requested twice, nothing yet"}
    assert _found("cancel") == {"Where is my REFUND for the cancelled flight?"}


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the stored document and its GIN index exist on PostgreSQL only")
def test_postgresql_keeps_the_search_document_true_when_the_text_changes(texts):
    case_id = texts["bag lost in transit"]
    Case.objects.filter(pk=case_id).update(text="refund for the lost bag")

    assert "refund for the lost bag" in _found("refunded")


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the GIN index exists on PostgreSQL only")
def test_postgresql_searches_the_stored_document_through_its_gin_index(texts):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'case_search_document'")
        (definition,) = cursor.fetchone()
        cursor.execute("SET enable_seqscan = off")
        sql, params = case_search(cases=Case.objects.all(), query="refund").values("id").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")

    assert definition.endswith("USING gin (search_document)")
    assert "case_search_document" in plan
