"""Theme tasks: clustering runs enqueued after commit, the nightly request, new cases joining themes after embedding."""

from __future__ import annotations

import pytest
from django.conf import settings

from cases.models import Case
from cases.tasks import case_embed_task
from config.celery_app import app as celery_app
from improvement.models import CaseTheme, ClusteringRun, Theme
from improvement.themes.services.runs import clustering_run_request
from improvement.themes.tasks import (
    clustering_run_nightly_task,
    clustering_run_task,
    theme_assign_new_cases_task,
)
from tests.improvement.theme_data import store_cases, themes_by_reason

pytestmark = pytest.mark.django_db


def test_requesting_a_run_enqueues_its_task_after_commit(team_lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = clustering_run_request(trigger=ClusteringRun.Trigger.API, requested_by=team_lead)

    assert len(callbacks) == 1
    assert (run.status, run.requested_by, run.trigger) == (
        ClusteringRun.Status.PENDING,
        team_lead,
        "api",
    )


@pytest.mark.slow
def test_clustering_run_task_runs_the_requested_run(airline_tweets, team_lead, django_capture_on_commit_callbacks):
    store_cases(airline_tweets)

    with django_capture_on_commit_callbacks(execute=True):
        run = clustering_run_request(trigger=ClusteringRun.Trigger.API, requested_by=team_lead)

    run.refresh_from_db()
    assert run.status == ClusteringRun.Status.SUCCEEDED
    assert Theme.objects.filter(status=Theme.Status.ACTIVE).count() == run.theme_count >= 2


def test_clustering_run_task_does_nothing_for_a_run_already_finished(db):
    run = ClusteringRun.objects.create(status=ClusteringRun.Status.FAILED, error="earlier failure")

    assert clustering_run_task(run.pk) == ClusteringRun.Status.FAILED
    run.refresh_from_db()
    assert (run.status, run.error, run.started_at) == (
        ClusteringRun.Status.FAILED,
        "earlier failure",
        None,
    )


def test_failing_run_task_marks_the_run_failed(db):
    run = ClusteringRun.objects.create()

    assert clustering_run_task(run.pk) == ClusteringRun.Status.FAILED
    run.refresh_from_db()
    assert run.error == "ClusteringError: No embedded cases to cluster."


def test_nightly_task_requests_a_run_and_skips_while_one_is_pending(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run_id = clustering_run_nightly_task()
        skipped = clustering_run_nightly_task()

    assert ClusteringRun.objects.get(pk=run_id).trigger == ClusteringRun.Trigger.NIGHTLY
    assert skipped is None
    assert ClusteringRun.objects.count() == 1


def test_nightly_run_is_in_the_beat_schedule():
    assert (
        settings.CELERY_BEAT_SCHEDULE["themes-nightly-clustering-run"]["task"]
        == "improvement.clustering_run_nightly_task"
    )
    assert "improvement.clustering_run_nightly_task" in celery_app.tasks


@pytest.mark.slow
def test_theme_assign_task_links_new_cases_to_themes(airline_tweets):
    known = list(range(0, 450, 2))
    themes_by_reason(airline_tweets, store_cases(airline_tweets, known), known)
    new_cases = store_cases(airline_tweets, [1, 3, 5, 7])

    assigned = theme_assign_new_cases_task([case.pk for case in new_cases])

    assert assigned == CaseTheme.objects.filter(case__in=new_cases, theme__isnull=False).count()
    assert CaseTheme.objects.filter(case__in=new_cases).count() == 4


@pytest.mark.slow
def test_embedding_new_cases_lets_them_join_themes(airline_tweets, django_capture_on_commit_callbacks):
    known = list(range(0, 450, 2))
    themes = themes_by_reason(airline_tweets, store_cases(airline_tweets, known), known)
    arriving = store_cases(airline_tweets, [1, 3], embedded=False)

    with django_capture_on_commit_callbacks(execute=True):
        case_embed_task([case.pk for case in arriving])

    assert Case.objects.filter(pk__in=[case.pk for case in arriving], embedded_at__isnull=False).count() == 2
    links = CaseTheme.objects.filter(case__in=arriving)
    assert set(links.values_list("source", flat=True)) == {CaseTheme.Source.INCREMENTAL}
    assert links.count() == 2
    assert sum(theme.size for theme in Theme.objects.filter(pk__in=[t.pk for t in themes.values()])) == (
        225 + links.filter(theme__isnull=False).count()
    )


@pytest.mark.slow
def test_cases_embedded_with_nothing_new_enqueue_no_follow_up(airline_tweets, django_capture_on_commit_callbacks):
    cases = store_cases(airline_tweets, [1])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_embed_task([cases[0].pk])

    assert callbacks == []
