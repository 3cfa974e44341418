"""Fault tests with real workers: one killed (kill -9) mid-refit, one whose run is cancelled while it fits."""

from __future__ import annotations

import time

import pytest

from improvement.models import CaseTheme, ClusteringRun, Theme
from improvement.themes.services.runs import clustering_run_cancel, clustering_run_request
from tests.improvement.theme_data import store_cases
from tests.utils import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.slow]

HEARTBEAT_SECONDS = 1
HEARTBEAT_TIMEOUT = 6
SWEEP_SECONDS = 2
WORKER_ENVIRONMENT = {
    "CLUSTERING_RUN_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
    "CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS": str(HEARTBEAT_TIMEOUT),
    "RECOVERY_SWEEP_SECONDS": str(SWEEP_SECONDS),
}


def _run_state(run_id: int) -> ClusteringRun:
    return ClusteringRun.objects.get(pk=run_id)


def _beating(run_id: int) -> bool:
    run = _run_state(run_id)
    return run.status == "running" and run.heartbeat_at is not None and run.heartbeat_at > run.started_at


def test_a_run_whose_worker_was_killed_is_failed_by_the_sweep_and_a_new_run_succeeds(
    airline_tweets, celery_workers, settings
):
    # The run requested here beats from this process, as seen by the sweeping worker.
    settings.CLUSTERING_RUN_HEARTBEAT_SECONDS = HEARTBEAT_SECONDS
    settings.CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS = HEARTBEAT_TIMEOUT
    cases = store_cases(airline_tweets)
    doomed = celery_workers.start(**WORKER_ENVIRONMENT)
    lost = ClusteringRun.objects.create(trigger=ClusteringRun.Trigger.COMMAND)
    celery_workers.send("improvement.clustering_run_task", lost.pk)
    assert wait_until(lambda: _beating(lost.pk), timeout=240, interval=0.2)

    celery_workers.kill(doomed)
    killed_at = time.monotonic()
    celery_workers.start(beat=True, **WORKER_ENVIRONMENT)

    assert wait_until(lambda: _run_state(lost.pk).status != "running", timeout=120, interval=0.2)
    failed_after = time.monotonic() - killed_at
    lost.refresh_from_db()
    assert (lost.status, lost.error) == ("failed", f"Worker lost: no heartbeat for more than {HEARTBEAT_TIMEOUT} s.")
    assert (Theme.objects.count(), CaseTheme.objects.count()) == (0, 0)

    # The next request is accepted at once; it runs here (eagerly) and places every case exactly once.
    fresh = clustering_run_request(trigger=ClusteringRun.Trigger.API)
    fresh.refresh_from_db()
    assert (fresh.status, fresh.case_count) == ("succeeded", len(cases))
    assert CaseTheme.objects.filter(run=fresh).count() == len(cases)
    assert sorted(CaseTheme.objects.values_list("case_id", flat=True)) == sorted(case.pk for case in cases)
    assert list(ClusteringRun.objects.order_by("id").values_list("status", flat=True)) == ["failed", "succeeded"]
    print(
        f"refit_recovery case_count={len(cases)} linked_cases={CaseTheme.objects.count()} "
        f"run_failed_after_kill_seconds={failed_after:.1f} heartbeat_s={HEARTBEAT_SECONDS} "
        f"heartbeat_timeout_s={HEARTBEAT_TIMEOUT} sweep_s={SWEEP_SECONDS}"
    )


def test_a_worker_whose_run_was_cancelled_mid_fit_does_not_swap_it_in(airline_tweets, celery_workers, team_lead):
    store_cases(airline_tweets)
    celery_workers.start(**WORKER_ENVIRONMENT)
    run = ClusteringRun.objects.create(trigger=ClusteringRun.Trigger.COMMAND)
    celery_workers.send("improvement.clustering_run_task", run.pk)
    assert wait_until(lambda: _beating(run.pk), timeout=240, interval=0.2)

    clustering_run_cancel(run=run, by=team_lead)

    assert wait_until(lambda: celery_workers.returned("improvement.clustering_run_task"), timeout=240)
    assert celery_workers.returned("improvement.clustering_run_task") == ["'cancelled'"]
    run.refresh_from_db()
    assert (run.status, run.cancelled_by, run.case_count) == ("cancelled", team_lead, 0)
    assert (Theme.objects.count(), CaseTheme.objects.count()) == (0, 0)
