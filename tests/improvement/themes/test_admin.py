"""Theme admin: the "run clustering now" action needs no selected rows; themes are read-mostly."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from improvement.models import ClusteringRun

pytestmark = pytest.mark.django_db


def test_run_clustering_now_requests_a_run_without_a_selection(client, staff_admin, django_capture_on_commit_callbacks):
    client.force_login(staff_admin)
    ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/admin/improvement/clusteringrun/",
            {"action": "run_clustering_now", "index": 0},
            follow=True,
        )

    assert response.status_code == 200
    run = ClusteringRun.objects.order_by("-id").first()
    assert (run.status, run.trigger, run.requested_by) == (
        "pending",
        "admin",
        staff_admin,
    )
    assert len(callbacks) == 1
    assert f"Clustering run {run.pk} requested" in response.content.decode()


def test_run_clustering_now_warns_while_a_run_is_pending(client, staff_admin):
    client.force_login(staff_admin)
    pending = ClusteringRun.objects.create()

    response = client.post(
        "/admin/improvement/clusteringrun/",
        {
            "action": "run_clustering_now",
            ACTION_CHECKBOX_NAME: [pending.pk],
            "index": 0,
        },
        follow=True,
    )

    assert f"Clustering run {pending.pk} is already pending" in response.content.decode()
    assert ClusteringRun.objects.count() == 1


def test_cancel_runs_cancels_a_stuck_run_and_warns_about_a_finished_one(client, staff_admin):
    client.force_login(staff_admin)
    finished = ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED)
    stuck = ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)

    response = client.post(
        "/admin/improvement/clusteringrun/",
        {"action": "cancel_runs", ACTION_CHECKBOX_NAME: [finished.pk, stuck.pk], "index": 0},
        follow=True,
    )

    page = response.content.decode()
    assert f"Clustering run {stuck.pk} cancelled." in page
    assert f"Clustering run {finished.pk} is succeeded; only a pending or running run can be cancelled." in page
    assert list(ClusteringRun.objects.order_by("id").values_list("status", "cancelled_by")) == [
        ("succeeded", None),
        ("cancelled", staff_admin.pk),
    ]


@pytest.mark.parametrize("page", ["/admin/improvement/theme/", "/admin/improvement/themeevent/"])
def test_theme_admin_pages_open(client, staff_admin, page):
    client.force_login(staff_admin)

    assert client.get(page).status_code == 200


def test_run_durations_read_in_minutes_and_seconds_on_the_list_and_the_run_page(client, staff_admin):
    client.force_login(staff_admin)
    run = ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED, duration_seconds=78.16596277899998)

    listing = client.get("/admin/improvement/clusteringrun/").content.decode()
    detail = client.get(f"/admin/improvement/clusteringrun/{run.pk}/change/").content.decode()

    assert '<td class="field-duration">1 min 18 s</td>' in listing
    assert '<div class="readonly">1 min 18 s</div>' in detail
    assert "78.16" not in listing + detail
