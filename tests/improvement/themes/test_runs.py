"""Clustering runs when workers die: heartbeats, the stale sweep, one active run in the database, cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from improvement.errors import NotAllowed, ThemeStateError
from improvement.models import ClusteringRun
from improvement.themes.services.runs import (
    clustering_run_cancel,
    clustering_run_execute,
    clustering_run_request,
    clustering_runs_fail_stale,
)
from improvement.themes.tasks import clustering_run_fail_stale_task, clustering_run_nightly_task

pytestmark = pytest.mark.django_db

HEARTBEAT_TIMEOUT = 180
PENDING_TIMEOUT = 2100


@pytest.fixture(autouse=True)
def _run_timeouts(settings):
    settings.CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS = HEARTBEAT_TIMEOUT
    settings.CLUSTERING_RUN_PENDING_TIMEOUT_SECONDS = PENDING_TIMEOUT


def _running(*, heartbeat_age: float) -> ClusteringRun:
    """A run claimed by a worker whose last heartbeat is `heartbeat_age` seconds old."""
    beat = timezone.now() - timedelta(seconds=heartbeat_age)
    run = ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)
    ClusteringRun.objects.filter(pk=run.pk).update(started_at=beat, heartbeat_at=beat)
    return run


def _pending(*, age: float) -> ClusteringRun:
    run = ClusteringRun.objects.create()
    ClusteringRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=age))
    return run


def test_stale_sweep_fails_a_running_run_whose_heartbeat_stopped():
    run = _running(heartbeat_age=HEARTBEAT_TIMEOUT + 5)

    assert clustering_runs_fail_stale() == 1

    run.refresh_from_db()
    assert (run.status, run.error) == (
        ClusteringRun.Status.FAILED,
        f"Worker lost: no heartbeat for more than {HEARTBEAT_TIMEOUT} s.",
    )
    assert run.finished_at is not None


def test_stale_sweep_leaves_a_beating_run_alone():
    run = _running(heartbeat_age=HEARTBEAT_TIMEOUT - 30)

    assert clustering_runs_fail_stale() == 0

    run.refresh_from_db()
    assert (run.status, run.error, run.finished_at) == (ClusteringRun.Status.RUNNING, "", None)


def test_stale_sweep_fails_a_pending_run_that_never_started_and_leaves_a_young_one():
    lost = _pending(age=PENDING_TIMEOUT + 5)
    lost.refresh_from_db()

    assert clustering_runs_fail_stale() == 1

    lost.refresh_from_db()
    assert (lost.status, lost.error) == (
        ClusteringRun.Status.FAILED,
        f"Never started: still pending after {PENDING_TIMEOUT} s.",
    )
    young = _pending(age=PENDING_TIMEOUT - 60)
    assert clustering_runs_fail_stale() == 0
    young.refresh_from_db()
    assert young.status == ClusteringRun.Status.PENDING


def test_stale_sweep_twice_fails_once():
    _running(heartbeat_age=HEARTBEAT_TIMEOUT + 5)

    assert clustering_run_fail_stale_task.delay().get() == 1
    assert clustering_run_fail_stale_task.delay().get() == 0


def test_request_fails_a_run_whose_worker_died_and_is_accepted(django_capture_on_commit_callbacks):
    dead = _running(heartbeat_age=HEARTBEAT_TIMEOUT + 5)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND)

    dead.refresh_from_db()
    assert dead.status == ClusteringRun.Status.FAILED
    assert (run.status, len(callbacks)) == (ClusteringRun.Status.PENDING, 1)


def test_request_is_refused_while_the_running_run_still_beats():
    busy = _running(heartbeat_age=HEARTBEAT_TIMEOUT - 30)

    with pytest.raises(ThemeStateError, match=f"Clustering run {busy.pk} is already running"):
        clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND)
    assert ClusteringRun.objects.count() == 1


def test_nightly_request_after_a_dead_worker_creates_the_nightly_run(django_capture_on_commit_callbacks):
    dead = _running(heartbeat_age=HEARTBEAT_TIMEOUT + 5)

    with django_capture_on_commit_callbacks(execute=False):
        run_id = clustering_run_nightly_task.delay().get()

    assert run_id is not None
    assert list(ClusteringRun.objects.order_by("id").values_list("id", "status", "trigger")) == [
        (dead.pk, "failed", "api"),
        (run_id, "pending", "nightly"),
    ]


@pytest.mark.parametrize("status", [ClusteringRun.Status.PENDING, ClusteringRun.Status.RUNNING])
def test_the_database_refuses_a_second_active_run(status):
    ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)

    with pytest.raises(IntegrityError), transaction.atomic():
        ClusteringRun.objects.create(status=status)
    assert ClusteringRun.objects.count() == 1


def test_the_database_allows_any_number_of_finished_runs_beside_an_active_one():
    for status in ("succeeded", "failed", "cancelled", "failed", "pending"):
        ClusteringRun.objects.create(status=status)

    assert ClusteringRun.objects.count() == 5


@pytest.mark.parametrize("status", [ClusteringRun.Status.PENDING, ClusteringRun.Status.RUNNING])
def test_cancel_ends_an_active_run_with_the_actor(team_lead, status):
    run = ClusteringRun.objects.create(status=status)

    cancelled = clustering_run_cancel(run=run, by=team_lead)

    run.refresh_from_db()
    assert (run.status, run.cancelled_by, run.error) == ("cancelled", team_lead, "Cancelled by lead-user.")
    assert run.finished_at is not None
    assert cancelled.status == "cancelled"


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled"])
def test_cancel_refuses_a_finished_run_and_changes_nothing(team_lead, status):
    run = ClusteringRun.objects.create(status=status)

    with pytest.raises(ThemeStateError, match=f"Clustering run {run.pk} is {status}; only a pending or running"):
        clustering_run_cancel(run=run, by=team_lead)
    run.refresh_from_db()
    assert (run.status, run.cancelled_by, run.finished_at) == (status, None, None)


def test_cancel_is_refused_to_an_executive(executive):
    run = ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)

    with pytest.raises(NotAllowed):
        clustering_run_cancel(run=run, by=executive)
    run.refresh_from_db()
    assert run.status == "running"


def test_a_cancelled_pending_run_is_not_executed_and_a_new_one_is_accepted(
    team_lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run = clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND)
    clustering_run_cancel(run=run, by=team_lead)

    executed = clustering_run_execute(run_id=run.pk)

    assert (executed.status, executed.started_at) == ("cancelled", None)
    with django_capture_on_commit_callbacks(execute=False):
        assert clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND).status == "pending"


def test_claiming_a_run_starts_its_heartbeat(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND)

    executed = clustering_run_execute(run_id=run.pk)

    # No embedded cases: the run fails at once, but its claim set started_at and heartbeat_at together.
    assert executed.status == "failed"
    assert executed.heartbeat_at == executed.started_at
