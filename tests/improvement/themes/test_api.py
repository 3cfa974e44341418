"""Theme and clustering-run endpoints: reads for every role, curation for team leads and staff admins."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator

from cases.models import Case
from improvement.models import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.volumes.services import daily_volumes_refresh
from tests.factories import UserFactory
from tests.improvement.theme_data import store_cases, themes_by_reason
from tests.improvement.workflow_factories import ThemeFactory, cases_for_theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def reason_themes(airline_tweets) -> dict[str, Theme]:
    indices = list(range(450))
    return themes_by_reason(airline_tweets, store_cases(airline_tweets, indices), indices)


def test_theme_list_gives_sizes_volumes_and_trend(api_client, executive, reason_themes):
    api_client.force_authenticate(executive)
    as_of = datetime.fromisoformat("2015-03-01T00:00:00+00:00")
    late = reason_themes["Late Flight"]
    case_ids = sorted(CaseTheme.objects.filter(theme=late).values_list("case_id", flat=True))
    Case.objects.filter(id__in=case_ids[:30]).update(received_at=as_of - timedelta(days=3))
    Case.objects.filter(id__in=case_ids[30:50]).update(received_at=as_of - timedelta(days=10))
    Case.objects.filter(id__in=case_ids[50:]).update(received_at=as_of - timedelta(days=40))
    daily_volumes_refresh()

    response = api_client.get("/api/themes/", {"as_of": "2015-03-01"})

    assert response.status_code == 200
    assert response.data["count"] == 5
    row = next(row for row in response.data["results"] if row["id"] == late.pk)
    assert {
        key: row[key]
        for key in (
            "label",
            "keywords",
            "size",
            "status",
            "volume_last_7_days",
            "volume_last_28_days",
            "trend",
        )
    } == {
        "label": "late flight",
        "keywords": ["late flight"],
        "size": 90,
        "status": "active",
        "volume_last_7_days": 30,
        "volume_last_28_days": 50,
        "trend": 0.5,
    }


def test_theme_list_and_detail_give_the_share_of_strongly_negative_cases(api_client, executive):
    api_client.force_authenticate(executive)
    angry, calm, empty = ThemeFactory(size=3), ThemeFactory(size=2), ThemeFactory(size=1)
    now = datetime.fromisoformat("2026-02-20T00:00:00+00:00")
    for theme, negativities in ((angry, [0.8, 0.6, 0.1]), (calm, [0.0, 0.2])):
        cases = cases_for_theme(theme=theme, received=[now] * len(negativities))
        for case, negativity in zip(cases, negativities, strict=True):
            Case.objects.filter(pk=case.pk).update(negativity=negativity)

    listed = api_client.get("/api/themes/")
    detail = api_client.get(f"/api/themes/{angry.pk}/")

    shares = {row["id"]: row["strongly_negative_share"] for row in listed.data["results"]}
    assert shares == {angry.pk: 0.6667, calm.pk: 0.0, empty.pk: None}
    assert detail.data["strongly_negative_share"] == 0.6667


def test_theme_trend_is_null_without_cases_in_the_previous_week(api_client, executive, reason_themes):
    api_client.force_authenticate(executive)
    late = reason_themes["Late Flight"]
    Case.objects.filter(theme_link__theme=late).update(received_at=datetime.fromisoformat("2015-02-28T00:00:00+00:00"))
    daily_volumes_refresh()

    response = api_client.get(f"/api/themes/{late.pk}/", {"as_of": "2015-03-01T00:00:00Z"})

    assert (response.data["volume_last_7_days"], response.data["trend"]) == (90, None)


def test_theme_list_refuses_a_bad_as_of(api_client, executive):
    api_client.force_authenticate(executive)

    response = api_client.get("/api/themes/", {"as_of": "yesterday"})

    assert response.status_code == 400
    message = "'yesterday' is not a date or datetime (e.g. 2015-02-24)."
    assert response.json() == {"detail": f"as_of: {message}", "code": "invalid", "fields": {"as_of": [message]}}


def test_theme_list_and_detail_read_an_as_of_with_an_offset_beyond_15_59_as_its_day(api_client, executive):
    theme = ThemeFactory()
    cases_for_theme(theme=theme, received=[datetime.fromisoformat("2025-12-25T12:00:00+00:00")])
    daily_volumes_refresh()
    api_client.force_authenticate(executive)

    # 2026-01-01T00:00+16:00 is 2025-12-31T08:00 UTC: the windows end on 2025-12-31 (TIME_ZONE is UTC).
    listed = api_client.get("/api/themes/?as_of=2026-01-01T00:00:00%2B16:00")
    detail = api_client.get(f"/api/themes/{theme.pk}/?as_of=2026-01-01T00:00:00%2B16:00")

    assert (listed.status_code, [row["volume_last_7_days"] for row in listed.json()["results"]]) == (200, [1])
    assert (detail.status_code, detail.json()["volume_last_7_days"]) == (200, 1)
    next_day = api_client.get(f"/api/themes/{theme.pk}/?as_of=2026-01-01")
    assert next_day.json()["volume_last_7_days"] == 0


@pytest.mark.parametrize(
    "as_of", ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
)
def test_theme_list_and_detail_answer_400_naming_an_as_of_outside_1970_to_2100(api_client, executive, as_of):
    theme = ThemeFactory()
    api_client.force_authenticate(executive)

    listed = api_client.get("/api/themes/", {"as_of": as_of})
    detail = api_client.get(f"/api/themes/{theme.pk}/", {"as_of": as_of})

    message = f"{as_of} is outside the accepted range 1970-01-01 to 2100-12-31 (UTC)."
    expected = {"detail": f"as_of: {message}", "code": "invalid", "fields": {"as_of": [message]}}
    assert (listed.status_code, listed.json()) == (400, expected)
    assert (detail.status_code, detail.json()) == (400, expected)


def test_theme_list_filters_by_brand_channel_and_status(api_client, team_lead, reason_themes, airline_tweets):
    api_client.force_authenticate(team_lead)
    Theme.objects.filter(pk=reason_themes["Lost Luggage"].pk).update(status=Theme.Status.DORMANT)
    virgin_reasons = {
        reason
        for reason, airline in zip(airline_tweets.reasons, airline_tweets.airlines, strict=True)
        if airline == "Virgin America"
    }

    by_brand = api_client.get("/api/themes/", {"brand": "Virgin America"})
    by_channel = api_client.get("/api/themes/", {"channel": "email"})
    by_status = api_client.get("/api/themes/", {"status": "dormant"})

    assert {row["id"] for row in by_brand.data["results"]} == {reason_themes[reason].pk for reason in virgin_reasons}
    assert by_channel.data["count"] == 0
    assert [row["id"] for row in by_status.data["results"]] == [reason_themes["Lost Luggage"].pk]


def test_theme_list_refuses_a_bad_filter_value(api_client, team_lead):
    api_client.force_authenticate(team_lead)

    response = api_client.get("/api/themes/", {"channel": "pigeon"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["channel"]


def test_theme_list_refuses_a_user_without_a_role(api_client, db):
    api_client.force_authenticate(UserFactory(username="nobody"))

    assert api_client.get("/api/themes/").status_code == 403


def test_theme_list_needs_authentication(api_client, db):
    assert api_client.get("/api/themes/").status_code == 401


def test_theme_detail_shows_representative_cases(api_client, department_owner, reason_themes):
    api_client.force_authenticate(department_owner)
    theme = reason_themes["Cancelled Flight"]

    response = api_client.get(f"/api/themes/{theme.pk}/")

    assert response.status_code == 200
    assert [case["id"] for case in response.data["representative_cases"]] == theme.representative_case_ids
    assert set(response.data["representative_cases"][0]) == {
        "id",
        "text",
        "received_at",
        "brand",
        "channel",
    }


def test_theme_cases_lists_the_cases_of_the_theme(api_client, executive, reason_themes):
    api_client.force_authenticate(executive)
    theme = reason_themes["Lost Luggage"]

    response = api_client.get(f"/api/themes/{theme.pk}/cases/")

    assert response.status_code == 200
    assert response.data["count"] == 90
    assert {row["id"] for row in response.data["results"]} <= set(
        CaseTheme.objects.filter(theme=theme).values_list("case_id", flat=True)
    )


def test_rename_by_a_team_lead(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)
    theme = reason_themes["Late Flight"]

    response = api_client.post(f"/api/themes/{theme.pk}/rename/", {"label": "Delays"}, format="json")

    assert response.status_code == 200
    assert (response.data["label"], response.data["is_label_custom"]) == (
        "Delays",
        True,
    )
    assert ThemeEvent.objects.filter(theme=theme, kind=ThemeEvent.Kind.RENAMED, actor=team_lead).count() == 1


@pytest.mark.parametrize("reader", ["executive", "department_owner"])
def test_rename_is_refused_to_readers(api_client, request, reader, reason_themes):
    api_client.force_authenticate(request.getfixturevalue(reader))
    theme = reason_themes["Late Flight"]

    response = api_client.post(f"/api/themes/{theme.pk}/rename/", {"label": "Delays"}, format="json")

    assert response.status_code == 403
    theme.refresh_from_db()
    assert theme.label == "late flight"


def test_rename_refuses_an_empty_label(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)

    response = api_client.post(
        f"/api/themes/{reason_themes['Late Flight'].pk}/rename/",
        {"label": " "},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["label"]


def test_merge_returns_the_survivor(api_client, staff_admin, reason_themes):
    api_client.force_authenticate(staff_admin)
    late, cancelled = reason_themes["Late Flight"], reason_themes["Cancelled Flight"]

    response = api_client.post(f"/api/themes/{late.pk}/merge/", {"into": cancelled.pk}, format="json")

    assert response.status_code == 200
    assert (response.data["id"], response.data["size"]) == (cancelled.pk, 180)
    late.refresh_from_db()
    assert (late.status, late.merged_into_id) == ("merged", cancelled.pk)


def test_merge_into_itself_is_a_bad_request(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)
    late = reason_themes["Late Flight"]

    response = api_client.post(f"/api/themes/{late.pk}/merge/", {"into": late.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"into": ["A theme cannot be merged into itself."]}


def test_merge_of_a_merged_theme_is_a_conflict(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)
    late, cancelled = reason_themes["Late Flight"], reason_themes["Cancelled Flight"]
    api_client.post(f"/api/themes/{late.pk}/merge/", {"into": cancelled.pk}, format="json")

    response = api_client.post(
        f"/api/themes/{late.pk}/merge/",
        {"into": reason_themes["Lost Luggage"].pk},
        format="json",
    )

    assert response.status_code == 409
    assert (response.json()["code"], "already merged" in response.json()["detail"]) == ("conflict", True)


def test_merge_into_an_unknown_theme_is_a_bad_request(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)

    response = api_client.post(
        f"/api/themes/{reason_themes['Late Flight'].pk}/merge/",
        {"into": 999999},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["into"]


def test_split_answers_202_with_a_queued_job_that_then_names_both_parts(
    api_client, team_lead, reason_themes, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(team_lead)
    theme = reason_themes["Customer Service Issue"]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_client.post(f"/api/themes/{theme.pk}/split/", {}, format="json")

    assert response.status_code == 202
    assert len(callbacks) == 1
    assert (response.data["kind"], response.data["status"], response.data["result_theme_ids"]) == (
        "split_kmeans",
        "queued",
        [],
    )
    job = api_client.get(f"/api/curation-jobs/{response.data['id']}/").json()
    assert (job["status"], job["steps_done"], job["steps_total"], len(job["result_theme_ids"])) == (
        "succeeded",
        2,
        2,
        2,
    )
    assert job["result_theme_ids"][0] == theme.pk
    assert sum(Theme.objects.filter(pk__in=job["result_theme_ids"]).values_list("size", flat=True)) == 90


def test_split_of_a_dormant_theme_is_a_conflict(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)
    theme = reason_themes["Customer Service Issue"]
    Theme.objects.filter(pk=theme.pk).update(status=Theme.Status.DORMANT)

    response = api_client.post(f"/api/themes/{theme.pk}/split/", {"parts": 2}, format="json")

    assert response.status_code == 409


def test_split_refuses_too_many_parts(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)

    response = api_client.post(
        f"/api/themes/{reason_themes['Late Flight'].pk}/split/",
        {"parts": 11},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["parts"]


def test_move_cases_to_another_theme(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)
    late, cancelled = reason_themes["Late Flight"], reason_themes["Cancelled Flight"]
    moved = sorted(CaseTheme.objects.filter(theme=late).values_list("case_id", flat=True))[:2]

    response = api_client.post(
        f"/api/themes/{late.pk}/move-cases/",
        {"case_ids": moved, "to": cancelled.pk},
        format="json",
    )

    assert response.status_code == 200
    assert (response.data["id"], response.data["size"]) == (cancelled.pk, 92)
    assert set(CaseTheme.objects.filter(case_id__in=moved).values_list("theme_id", "source")) == {
        (cancelled.pk, "manual")
    }


def test_move_cases_not_in_the_theme_is_a_bad_request(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)
    late, cancelled = reason_themes["Late Flight"], reason_themes["Cancelled Flight"]
    elsewhere = CaseTheme.objects.filter(theme=cancelled).values_list("case_id", flat=True)[0]

    response = api_client.post(
        f"/api/themes/{late.pk}/move-cases/",
        {"case_ids": [elsewhere], "to": cancelled.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"case_ids": [f"Not in theme {late.pk}: {elsewhere}."]}


def test_move_cases_into_a_merged_theme_is_a_conflict(api_client, team_lead, reason_themes):
    api_client.force_authenticate(team_lead)
    late, cancelled = reason_themes["Late Flight"], reason_themes["Cancelled Flight"]
    api_client.post(
        f"/api/themes/{cancelled.pk}/merge/",
        {"into": reason_themes["Lost Luggage"].pk},
        format="json",
    )
    moved = CaseTheme.objects.filter(theme=late).values_list("case_id", flat=True)[:1]

    response = api_client.post(
        f"/api/themes/{late.pk}/move-cases/",
        {"case_ids": list(moved), "to": cancelled.pk},
        format="json",
    )

    assert response.status_code == 409


def test_request_a_clustering_run(api_client, team_lead, django_capture_on_commit_callbacks):
    api_client.force_authenticate(team_lead)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post("/api/clustering-runs/", {}, format="json")

    assert response.status_code == 202
    assert (
        response.data["status"],
        response.data["trigger"],
        response.data["requested_by"],
    ) == (
        "pending",
        "api",
        "lead-user",
    )
    assert len(callbacks) == 1


def test_request_a_clustering_run_while_one_is_pending_is_a_conflict(api_client, team_lead):
    api_client.force_authenticate(team_lead)
    pending = ClusteringRun.objects.create()

    response = api_client.post("/api/clustering-runs/", {}, format="json")

    assert response.status_code == 409
    assert response.data["detail"] == f"Clustering run {pending.pk} is already pending; wait for it to finish."


def test_request_a_clustering_run_is_refused_to_executives(api_client, executive):
    api_client.force_authenticate(executive)

    assert api_client.post("/api/clustering-runs/", {}, format="json").status_code == 403
    assert ClusteringRun.objects.count() == 0


def test_list_clustering_runs(api_client, executive):
    api_client.force_authenticate(executive)
    older = ClusteringRun.objects.create(status=ClusteringRun.Status.FAILED, error="boom")
    newer = ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED)

    response = api_client.get("/api/clustering-runs/")
    failed_only = api_client.get("/api/clustering-runs/", {"status": "failed"})

    assert [row["id"] for row in response.data["results"]] == [newer.pk, older.pk]
    assert [row["id"] for row in failed_only.data["results"]] == [older.pk]


@pytest.mark.parametrize("user_fixture", ["team_lead", "staff_admin"])
def test_cancel_a_stuck_clustering_run(api_client, request, user_fixture):
    user = request.getfixturevalue(user_fixture)
    api_client.force_authenticate(user)
    stuck = ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)

    response = api_client.post(f"/api/clustering-runs/{stuck.pk}/cancel/", {}, format="json")

    assert response.status_code == 200
    assert (response.data["status"], response.data["cancelled_by"], response.data["error"]) == (
        "cancelled",
        user.username,
        f"Cancelled by {user.username}.",
    )
    stuck.refresh_from_db()
    assert (stuck.status, stuck.cancelled_by_id) == ("cancelled", user.pk)


def test_cancel_a_clustering_run_is_refused_to_executives(api_client, executive):
    api_client.force_authenticate(executive)
    stuck = ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)

    response = api_client.post(f"/api/clustering-runs/{stuck.pk}/cancel/", {}, format="json")

    assert response.status_code == 403
    stuck.refresh_from_db()
    assert (stuck.status, stuck.cancelled_by_id) == ("running", None)


def test_cancel_a_finished_clustering_run_is_a_conflict(api_client, team_lead):
    api_client.force_authenticate(team_lead)
    finished = ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED)

    response = api_client.post(f"/api/clustering-runs/{finished.pk}/cancel/", {}, format="json")

    assert response.status_code == 409
    assert response.data["detail"] == (
        f"Clustering run {finished.pk} is succeeded; only a pending or running run can be cancelled."
    )
    finished.refresh_from_db()
    assert finished.status == "succeeded"


def test_cancel_an_unknown_clustering_run_is_not_found(api_client, team_lead):
    api_client.force_authenticate(team_lead)

    assert api_client.post("/api/clustering-runs/999/cancel/", {}, format="json").status_code == 404


def test_after_cancelling_a_stuck_run_a_new_run_is_accepted(api_client, team_lead, django_capture_on_commit_callbacks):
    api_client.force_authenticate(team_lead)
    stuck = ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)
    assert api_client.post("/api/clustering-runs/", {}, format="json").status_code == 409

    api_client.post(f"/api/clustering-runs/{stuck.pk}/cancel/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=False):
        response = api_client.post("/api/clustering-runs/", {}, format="json")

    assert (response.status_code, response.data["status"]) == (202, "pending")


def test_schema_documents_split_as_the_job_it_answers_and_requested_by_as_nullable(api_client, executive):
    ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED, trigger=ClusteringRun.Trigger.NIGHTLY)
    api_client.force_authenticate(executive)

    schema = SchemaGenerator().get_schema(request=None, public=True)
    runs = api_client.get("/api/clustering-runs/").json()["results"]

    split = schema["paths"]["/api/themes/{id}/split/"]["post"]["responses"]
    assert sorted(split) == ["202", "400", "409", "default"]
    assert split["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CurationJobOutput"}
    assert [run["requested_by"] for run in runs] == [None]
    assert schema["components"]["schemas"]["ClusteringRunOutput"]["properties"]["requested_by"]["nullable"] is True
