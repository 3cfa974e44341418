"""Case API: bulk ingest (permissions, limits, per-row rejections, concurrency) and the filtered list."""

from __future__ import annotations

import datetime
import json
import random
import threading

import pytest
from django.db import connection, connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from cases.models import Case
from tests.factories import StaffAdminFactory, UserFactory

BULK_URL = "/api/cases/bulk/"
LIST_URL = "/api/cases/"


def item(external_id: str, **changes) -> dict:
    return {
        "external_id": external_id,
        "channel": "twitter",
        "brand": "Parcelly",
        "author_handle": "ana",
        "text": f"@Parcelly parcel {external_id} is late",
        "received_at": "2026-11-20T09:30:00Z",
        **changes,
    }


@pytest.fixture(autouse=True)
def no_embedding(settings):
    settings.CASES_EMBED_ON_INGEST = False


@pytest.fixture
def lead_client(api_client, team_lead) -> APIClient:
    api_client.force_authenticate(team_lead)
    return api_client


def test_bulk_counts_created_duplicates_and_rejected(lead_client):
    response = lead_client.post(
        BULK_URL,
        {"cases": [item("1"), item("2"), item("1"), item("3", received_at=12)]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "duplicates": 1,
        "rejected": 1,
        "rejected_rows": [{"index": 3, "reason": "received_at must be an ISO 8601 date-time string, got int"}],
    }


def test_bulk_repeated_request_stores_nothing_and_changes_nothing(lead_client):
    lead_client.post(BULK_URL, {"cases": [item("1"), item("2")]}, format="json")

    response = lead_client.post(BULK_URL, {"cases": [item("1", text="changed"), item("2")]}, format="json")

    assert response.json() == {"created": 0, "duplicates": 2, "rejected": 0, "rejected_rows": []}
    assert Case.objects.get(external_id="1").text == "@Parcelly parcel 1 is late"


def test_bulk_is_allowed_to_staff_admins(api_client, staff_admin):
    api_client.force_authenticate(staff_admin)

    response = api_client.post(BULK_URL, {"cases": [item("1")]}, format="json")

    assert response.json()["created"] == 1


def test_bulk_refuses_an_executive(api_client, executive):
    api_client.force_authenticate(executive)

    response = api_client.post(BULK_URL, {"cases": [item("1")]}, format="json")

    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_bulk_refuses_an_anonymous_caller(api_client, db):
    response = api_client.post(BULK_URL, {"cases": [item("1")]}, format="json")

    assert response.status_code == 401


def test_bulk_answers_413_for_more_than_5000_cases(lead_client):
    response = lead_client.post(BULK_URL, {"cases": [item(str(number)) for number in range(5_001)]}, format="json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": "Too many cases: 5,001 in one request; the limit is 5,000. Split them into several requests.",
        "code": "request_too_large",
        "fields": {},
    }
    assert Case.objects.count() == 0


def test_bulk_answers_413_for_a_body_over_the_upload_limit(lead_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = lead_client.post(BULK_URL, {"cases": [item(str(number)) for number in range(20)]}, format="json")

    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is larger than 1,000 bytes")
    assert Case.objects.count() == 0


def test_bulk_answers_413_for_a_36_5_mb_body_at_the_default_upload_limit(lead_client, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 32 * 1024 * 1024
    body = json.dumps({"cases": [item("1", text="x" * 10_000)] * 3_650})

    response = lead_client.post(BULK_URL, body, content_type="application/json")

    assert len(body) > 36_500_000
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than 33,554,432 bytes; send at most 5,000 cases per request.",
        "code": "request_too_large",
        "fields": {},
    }
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "received_at",
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"],
)
def test_bulk_rejects_a_received_at_outside_1970_to_2100_and_reads_keep_working(lead_client, received_at):
    response = lead_client.post(BULK_URL, {"cases": [item("far", received_at=received_at), item("ok")]}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "created": 1,
        "duplicates": 0,
        "rejected": 1,
        "rejected_rows": [
            {
                "index": 0,
                "reason": f"received_at {received_at} is outside the accepted range 1970-01-01 to 2100-12-31 (UTC)",
            }
        ],
    }
    assert list(Case.objects.values_list("external_id", flat=True)) == ["ok"]
    listed = lead_client.get(LIST_URL)
    assert (listed.status_code, external_ids(listed)) == (200, ["ok"])
    assert lead_client.get(f"{LIST_URL}{Case.objects.get().pk}/").status_code == 200


def test_bulk_answers_400_naming_the_depth_limit_for_a_deeply_nested_raw_payload(lead_client):
    nested = "[" * 5_000 + "]" * 5_000
    body = '{"cases": [' + json.dumps(item("deep"))[:-1] + ', "raw_payload": {"a": ' + nested + "}}]}"

    response = lead_client.post(BULK_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON nested deeper than 64 levels; the limit is 64.",
        "code": "parse_error",
        "fields": {},
    }
    assert Case.objects.count() == 0


def test_bulk_answers_400_naming_cases_when_the_body_is_a_list(lead_client):
    response = lead_client.post(BULK_URL, [item("1")], format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": 'cases: Send an object with a `cases` list, e.g. {"cases": [...]}.',
        "code": "invalid",
        "fields": {"cases": ['Send an object with a `cases` list, e.g. {"cases": [...]}.']},
    }


def test_bulk_answers_400_naming_cases_when_cases_is_not_a_list(lead_client):
    response = lead_client.post(BULK_URL, {"cases": "1,2,3"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": 'cases: Expected a list of items but got type "str".',
        "code": "invalid",
        "fields": {"cases": ['Expected a list of items but got type "str".']},
    }


def test_bulk_answers_400_for_malformed_json(lead_client):
    response = lead_client.post(BULK_URL, '{"cases": [', content_type="application/json")

    assert response.status_code == 400


def test_bulk_rejects_nul_and_lone_surrogates_and_keeps_rtl_text(lead_client):
    body = (
        '{"cases": ['
        + json.dumps(item("nul", text="a\u0000b"))
        + ", "
        + json.dumps(item("surrogate")).replace("is late", "\\ud800 late")
        + ", "
        + json.dumps(item("rtl", text="\u200f\u202eطردي متأخر"), ensure_ascii=False)
        + "]}"
    )

    response = lead_client.post(BULK_URL, body.encode("utf-8"), content_type="application/json")

    assert response.status_code == 200
    reason = "text contains a NUL character, a lone surrogate or bytes that are not valid UTF-8"
    assert response.json() == {
        "created": 1,
        "duplicates": 0,
        "rejected": 2,
        "rejected_rows": [{"index": 0, "reason": reason}, {"index": 1, "reason": reason}],
    }
    assert Case.objects.get().text == "\u200f\u202eطردي متأخر"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bulk_twenty_concurrent_requests_with_overlapping_ids_store_each_id_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (the SQLite test database is one in-memory connection)")
    settings.CASES_EMBED_ON_INGEST = False
    admin = StaffAdminFactory(username="concurrent-admin")
    # Request n sends ids 10n .. 10n+49: neighbouring requests overlap on 40 ids.
    payloads = [[item(str(number)) for number in range(10 * request, 10 * request + 50)] for request in range(20)]
    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(payloads))

    def send(cases: list[dict]) -> None:
        try:
            client = APIClient()
            client.force_authenticate(admin)
            barrier.wait()
            response = client.post(BULK_URL, {"cases": cases}, format="json")
            assert response.status_code == 200, response.content
            results.append(response.json())
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(cases,)) for cases in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    distinct_ids = {case["external_id"] for cases in payloads for case in cases}
    assert len(distinct_ids) == 240
    assert Case.objects.count() == 240
    assert sum(result["created"] for result in results) == 240
    assert sum(result["duplicates"] for result in results) == 20 * 50 - 240


# 50 requests of 2,000 cases; request n sends ids 1,600n .. 1,600n+1,999, so each overlaps the next on 400 (20%).
CONCURRENT_REQUESTS = 50
CASES_PER_REQUEST = 2_000
OVERLAP = 400


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bulk_fifty_concurrent_requests_of_2000_with_20_percent_overlap_store_each_id_exactly_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (the SQLite test database is one in-memory connection)")
    settings.CASES_EMBED_ON_INGEST = False
    admin = StaffAdminFactory(username="concurrent-admin")
    step = CASES_PER_REQUEST - OVERLAP
    payloads = []
    for request in range(CONCURRENT_REQUESTS):
        cases = [item(f"c{number}") for number in range(step * request, step * request + CASES_PER_REQUEST)]
        random.Random(request).shuffle(cases)
        payloads.append(cases)
    bodies = [json.dumps({"cases": cases}) for cases in payloads]
    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(bodies))

    def send(body: str) -> None:
        try:
            client = APIClient()
            client.force_authenticate(admin)
            barrier.wait()
            response = client.post(BULK_URL, body, content_type="application/json")
            assert response.status_code == 200, response.content
            results.append(response.json())
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    expected_ids = {f"c{number}" for number in range(step * (CONCURRENT_REQUESTS - 1) + CASES_PER_REQUEST)}
    assert len(expected_ids) == 80_400
    stored_ids = list(Case.objects.values_list("external_id", flat=True))
    assert len(stored_ids) == 80_400
    assert set(stored_ids) == expected_ids
    assert sum(result["created"] for result in results) == 80_400
    assert sum(result["duplicates"] for result in results) == CONCURRENT_REQUESTS * CASES_PER_REQUEST - 80_400
    assert sum(result["rejected"] for result in results) == 0


@pytest.fixture
def listed_cases(db):
    def create(external_id: str, channel: str, brand: str, day: int) -> Case:
        return Case.objects.create(
            external_id=external_id,
            channel=channel,
            brand=brand,
            text=f"text {external_id}",
            received_at=datetime.datetime(2026, 11, day, 12, tzinfo=datetime.UTC),
        )

    return [
        create("a", "twitter", "Parcelly", 1),
        create("b", "twitter", "Parcelly", 2),
        create("c", "email", "Parcelly", 3),
        create("d", "twitter", "Shopzy", 4),
    ]


def external_ids(response) -> list[str]:
    return [case["external_id"] for case in response.json()["results"]]


def test_list_is_readable_by_an_executive_newest_first(api_client, executive, listed_cases):
    api_client.force_authenticate(executive)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert external_ids(response) == ["d", "c", "b", "a"]
    assert set(response.json()["results"][0]) == {
        "id",
        "channel",
        "external_id",
        "brand",
        "author_handle",
        "text",
        "analysis_text",
        "received_at",
        "reply_to_external_id",
        "thread_external_id",
        "ingested_at",
        "is_embedded",
        # Served by the improvement side, which owns themes (improvement.themes.api.cases).
        "theme",
        "theme_label",
        "theme_similarity",
    }


def test_list_refuses_an_anonymous_caller(api_client, listed_cases):
    assert api_client.get(LIST_URL).status_code == 401


def test_list_filters_by_channel_brand_and_date_range(lead_client, listed_cases):
    assert external_ids(lead_client.get(LIST_URL, {"channel": "twitter", "brand": "Parcelly"})) == ["b", "a"]
    assert external_ids(
        lead_client.get(
            LIST_URL,
            {"received_after": "2026-11-02T00:00:00Z", "received_before": "2026-11-04T00:00:00Z"},
        )
    ) == ["c", "b"]


def test_list_answers_400_for_an_unknown_channel(lead_client, listed_cases):
    response = lead_client.get(LIST_URL, {"channel": "pigeon"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["channel"]


@pytest.mark.parametrize("name", ["received_after", "received_before"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2101-01-01T00:00:00Z"])
def test_list_answers_400_naming_a_date_filter_outside_1970_to_2100(lead_client, listed_cases, name, value):
    response = lead_client.get(LIST_URL, {name: value})

    assert response.status_code == 400
    message = f"{value} is outside the accepted range 1970-01-01 to 2100-12-31 (UTC)."
    assert response.json() == {"detail": f"{name}: {message}", "code": "invalid", "fields": {name: [message]}}


def test_list_reads_a_date_filter_with_an_offset_beyond_15_59_as_its_utc_instant(lead_client, listed_cases):
    # 2026-11-03T04:00+16:00 is 2026-11-02T12:00Z: case b's instant, so b is the first case at or after it.
    response = lead_client.get(f"{LIST_URL}?received_after=2026-11-03T04:00:00%2B16:00")
    before = lead_client.get(f"{LIST_URL}?received_before=2026-11-03T04:00:00%2B16:00")
    issue_example = lead_client.get(f"{LIST_URL}?received_after=2026-01-01T00:00:00%2B16:00")

    assert (response.status_code, external_ids(response)) == (200, ["d", "c", "b"])
    assert (before.status_code, external_ids(before)) == (200, ["a"])
    assert (issue_example.status_code, external_ids(issue_example)) == (200, ["d", "c", "b", "a"])


def test_list_pages_with_a_cursor(lead_client, listed_cases):
    first = lead_client.get(LIST_URL, {"page_size": 3}).json()
    second = lead_client.get(first["next"]).json()

    assert [case["external_id"] for case in first["results"]] == ["d", "c", "b"]
    assert [case["external_id"] for case in second["results"]] == ["a"]
    assert second["next"] is None


def test_team_lead_role_holds_the_case_permissions(team_lead, executive, department_owner):
    assert team_lead.has_perm("cases.add_case") and team_lead.has_perm("cases.view_case")
    assert not executive.has_perm("cases.add_case") and executive.has_perm("cases.view_case")
    assert not department_owner.has_perm("cases.add_case") and department_owner.has_perm("cases.view_case")


def test_schema_of_the_case_endpoints_is_valid(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)

    validate_schema(schema)
    bulk = schema["paths"]["/api/cases/bulk/"]["post"]
    assert set(bulk["responses"]) == {"200", "400", "413", "default"}
    assert {parameter["name"] for parameter in schema["paths"]["/api/cases/"]["get"]["parameters"]} == {
        "brand",
        "channel",
        "cursor",
        "page_size",
        "received_after",
        "received_before",
        "search",
        "theme",
        "unassigned",
    }


def test_case_list_refuses_a_signed_in_user_without_a_role(api_client, db):
    Case.objects.create(
        external_id="private-1",
        channel="twitter",
        brand="Parcelly",
        text="my address is 1 Main St",
        received_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
    )
    api_client.force_authenticate(UserFactory(username="no-role"))

    response = api_client.get(LIST_URL)

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Reading cases needs the cases.view_case permission (a Fixloop role or staff admin)."
    )
