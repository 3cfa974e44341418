"""Per-case negativity (cases.sentiment): VADER per sentence, stored at ingest on every path, backfilled once."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from cases.models import Case
from cases.sentiment import STRONGLY_NEGATIVE, is_strongly_negative, text_negativity
from cases.services.file_import import case_import_file
from cases.services.ingest import case_ingest_many
from cases.services.upload_import import case_import_upload
from tests.factories import UserFactory

RECEIVED_AT = "2026-11-20T09:30:00+00:00"
ANGRY = "worst airline ever, lost my bag"
CALM = "where is my order"


@pytest.fixture(autouse=True)
def no_embedding(settings):
    settings.CASES_EMBED_ON_INGEST = False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CALM, 0.0),
        ("my bag was lost", 0.3182),
        (ANGRY, 0.7506),
        ("Thanks, great service", 0.0),
        ("", 0.0),
        # As one text VADER lets "never" flip "furious" (+0.6473); sentence by sentence it is negative.
        ("My parcel was marked delivered but never arrived. Furious!", 0.6114),
    ],
)
def test_text_negativity_is_minus_the_most_negative_sentences_compound(text, expected):
    assert text_negativity(text) == expected


def test_strongly_negative_starts_at_half():
    assert STRONGLY_NEGATIVE == 0.5
    assert [is_strongly_negative(value) for value in (None, 0.4999, 0.5, 0.7506)] == [False, False, True, True]


def _row(external_id: str, text: str) -> dict:
    return {"external_id": external_id, "channel": "twitter", "brand": "P", "text": text, "received_at": RECEIVED_AT}


@pytest.mark.django_db
def test_case_ingest_many_stores_the_negativity_of_each_case():
    case_ingest_many(rows=[_row("1", ANGRY), _row("2", CALM)])

    assert dict(Case.objects.values_list("external_id", "negativity")) == {"1": 0.7506, "2": 0.0}


@pytest.mark.django_db
def test_bulk_api_stores_the_negativity(api_client, team_lead):
    api_client.force_authenticate(team_lead)

    response = api_client.post("/api/cases/bulk/", {"cases": [_row("api-1", ANGRY)]}, format="json")

    assert response.status_code in (200, 201)
    assert Case.objects.get(external_id="api-1").negativity == 0.7506


@pytest.mark.django_db
def test_csv_import_stores_the_negativity(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(f'external_id,text,received_at,channel,brand\nf-1,"{ANGRY}",{RECEIVED_AT},chat,Parcelly\n')

    case_import_file(path=path, file_format="generic")

    assert Case.objects.get(external_id="f-1").negativity == 0.7506


@pytest.mark.django_db
def test_uploaded_file_import_stores_the_negativity(django_capture_on_commit_callbacks):
    content = f'external_id,text,received_at,channel,brand\nu-1,"{ANGRY}",{RECEIVED_AT},chat,Parcelly\n'.encode()

    with django_capture_on_commit_callbacks(execute=True):
        case_import_upload(by=UserFactory(), file_name="mine.csv", content=content, file_format="generic")

    assert Case.objects.get(external_id="u-1").negativity == 0.7506


@pytest.mark.django_db
def test_backfill_migration_scores_only_cases_not_scored_yet():
    case_ingest_many(rows=[_row("1", ANGRY), _row("2", CALM), _row("3", ANGRY)])
    Case.objects.filter(external_id__in=["1", "2"]).update(negativity=None)
    Case.objects.filter(external_id="3").update(negativity=0.25)
    migration = importlib.import_module("cases.migrations.0005_case_negativity")

    migration.score_stored_cases(apps, None)

    assert dict(Case.objects.values_list("external_id", "negativity")) == {"1": 0.7506, "2": 0.0, "3": 0.25}
