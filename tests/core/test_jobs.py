"""Long eager tasks on the background thread (EAGER_LONG_TASKS_IN_BACKGROUND): the request answers first.

A test task, declared long like a split or a clustering run, holds the one background thread until the test
releases it; what is handed over meanwhile waits its turn, so the answer is provably given before the work runs.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from celery import shared_task

from core.jobs import background_tasks_wait, enqueue_on_commit, registered_task
from improvement.models import CaseTheme, ClusteringRun, CurationJob, Theme, ThemeEvent
from tests.improvement.workflow_factories import CaseFactory, ThemeFactory

RELEASE = threading.Event()
STARTED = threading.Event()
FINISHED: list[str] = []
WAIT_SECONDS = 30


@shared_task(name="tests.core.hold_the_background_thread", long_running=True)
def hold_the_background_thread(tag: str) -> None:
    STARTED.set()
    RELEASE.wait(WAIT_SECONDS)
    FINISHED.append(tag)


@shared_task(name="tests.core.short_task")
def short_task(tag: str) -> None:
    FINISHED.append(tag)


@pytest.fixture
def background(settings):
    settings.EAGER_LONG_TASKS_IN_BACKGROUND = True
    RELEASE.clear()
    STARTED.clear()
    FINISHED.clear()
    yield
    RELEASE.set()
    assert background_tasks_wait(timeout=WAIT_SECONDS)


def _hold_the_background_thread() -> None:
    """Outside a transaction (transactional tests): the hand-over happens at once."""
    enqueue_on_commit("tests.core.hold_the_background_thread", "held")
    assert STARTED.wait(WAIT_SECONDS)


@pytest.mark.django_db
def test_a_long_task_runs_after_the_enqueue_returns_on_the_background_thread(
    background, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("tests.core.hold_the_background_thread", "long")

    assert STARTED.wait(WAIT_SECONDS)
    assert FINISHED == []
    RELEASE.set()
    assert background_tasks_wait(timeout=WAIT_SECONDS)
    assert FINISHED == ["long"]


@pytest.mark.django_db
def test_a_short_task_still_runs_in_the_caller_while_the_background_thread_is_busy(
    background, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("tests.core.hold_the_background_thread", "held")
    assert STARTED.wait(WAIT_SECONDS)

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("tests.core.short_task", "short")

    assert FINISHED == ["short"]


@pytest.mark.django_db
def test_with_the_setting_off_a_long_task_runs_inside_the_call(settings, django_capture_on_commit_callbacks):
    settings.EAGER_LONG_TASKS_IN_BACKGROUND = False
    RELEASE.set()
    FINISHED.clear()

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("tests.core.hold_the_background_thread", "inline")

    assert FINISHED == ["inline"]


@pytest.mark.django_db(transaction=True)
def test_a_split_request_answers_202_before_its_job_runs_and_the_job_then_succeeds(background, api_client, team_lead):
    refunds = ThemeFactory(label="Refunds", size=2)
    received = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    cases = [
        CaseFactory(text=f"refund by email {i}", analysis_text=f"refund by email {i}", received_at=received)
        for i in range(2)
    ]
    for case in cases:
        CaseTheme.objects.create(case=case, theme=refunds, source=CaseTheme.Source.FIT)
    api_client.force_authenticate(team_lead)
    _hold_the_background_thread()

    response = api_client.post(
        f"/api/themes/{refunds.pk}/split-selection/",
        {"case_ids": [cases[0].pk], "label": "Email refunds"},
        format="json",
    )

    assert (response.status_code, response.json()["status"]) == (202, "queued")
    job = CurationJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.result_theme_ids) == ("queued", [])
    RELEASE.set()
    assert background_tasks_wait(timeout=WAIT_SECONDS)
    job.refresh_from_db()
    assert (job.status, job.steps_done, job.error) == ("succeeded", 2, "")
    made = Theme.objects.get(pk=job.result_theme_ids[0])
    assert (made.label, made.size) == ("Email refunds", 1)
    assert list(ThemeEvent.objects.filter(theme=made).values_list("kind", "actor__username")) == [
        ("created", "lead-user")
    ]


@pytest.mark.django_db(transaction=True)
def test_run_clustering_now_answers_before_the_run_executes(background, client, staff_admin):
    client.force_login(staff_admin)
    _hold_the_background_thread()

    response = client.post("/admin/improvement/clusteringrun/", {"action": "run_clustering_now", "index": 0})

    assert response.status_code == 302
    run = ClusteringRun.objects.get()
    assert (run.status, run.trigger, run.started_at) == ("pending", "admin", None)
    RELEASE.set()
    assert background_tasks_wait(timeout=WAIT_SECONDS)
    run.refresh_from_db()
    assert (run.status, run.error, run.started_at is not None) == (
        "failed",
        "ClusteringError: No embedded cases to cluster.",
        True,
    )


def test_the_long_tasks_are_imports_clustering_runs_and_curation_jobs():
    long_tasks = {
        name
        for name, task in registered_task("cases.case_import_run_task").app.tasks.items()
        if getattr(task, "long_running", False)
    }

    assert long_tasks == {
        "cases.case_import_run_task",
        "improvement.clustering_run_task",
        "improvement.curation_job_task",
        "tests.core.hold_the_background_thread",
    }
