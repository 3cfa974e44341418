"""Splitting a selection out as a new theme (and k-means splits) as curation jobs: request, task, refusals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.conf import settings
from django.contrib.auth.models import User

from cases.embedding import EMBEDDING_DIMENSION, embedding_to_bytes
from improvement.errors import Invalid, NotAllowed, ThemeStateError
from improvement.models import CaseTheme, CurationJob, Theme, ThemeEvent
from improvement.themes.services.curation_jobs import (
    SELECTION_MAXIMUM_CASES,
    curation_job_execute,
    curation_jobs_fail_stale,
    theme_split_kmeans_request,
    theme_split_selection_request,
)
from improvement.themes.tasks import curation_job_task
from tests.improvement.workflow_factories import CaseFactory, ThemeFactory

pytestmark = pytest.mark.django_db
RECEIVED = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def _axis(index: int) -> np.ndarray:
    vector = np.zeros(EMBEDDING_DIMENSION, dtype=np.float32)
    vector[index] = 1.0
    return vector


def _case(theme: Theme | None, text: str, vector: np.ndarray | None = None, similarity: float | None = 0.9):
    case = CaseFactory(
        text=text,
        analysis_text=text,
        received_at=RECEIVED,
        embedding=embedding_to_bytes(vector) if vector is not None else None,
        embedded_at=RECEIVED if vector is not None else None,
    )
    if theme is not None:
        CaseTheme.objects.create(case=case, theme=theme, source=CaseTheme.Source.FIT, similarity=similarity)
    return case


@pytest.fixture
def refunds():
    """A theme of 5 cases: 3 about refunds (axis 0), 2 about vouchers (axis 1), and another theme of 1 case."""
    theme = ThemeFactory(label="Money back", size=5)
    other = ThemeFactory(label="Lost bags", size=1)
    cases = [_case(theme, f"refund for my cancelled flight number {i}", _axis(0)) for i in range(3)]
    cases += [_case(theme, f"voucher code expired before use {i}", _axis(1)) for i in range(2)]
    stranger = _case(other, "my bag never arrived", _axis(2))
    return theme, other, cases, stranger


def test_split_selection_makes_a_new_theme_of_exactly_the_selection(
    refunds, team_lead, django_capture_on_commit_callbacks
):
    theme, _, cases, _ = refunds
    vouchers = [cases[3].pk, cases[4].pk]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = theme_split_selection_request(case_ids=vouchers, label="Vouchers", from_theme=theme, by=team_lead)
    job.refresh_from_db()

    assert len(callbacks) == 1
    assert job.status == CurationJob.Status.SUCCEEDED
    assert (job.steps_done, job.steps_total) == (2, 2)
    made = Theme.objects.get(pk=job.result_theme_ids[0])
    assert (made.label, made.is_label_custom, made.size, made.status) == ("Vouchers", True, 2, "active")
    assert sorted(CaseTheme.objects.filter(theme=made).values_list("case_id", flat=True)) == vouchers
    assert set(CaseTheme.objects.filter(theme=made).values_list("source", flat=True)) == {"manual"}
    assert [round(value, 4) for value in CaseTheme.objects.filter(theme=made).values_list("similarity", flat=True)] == [
        1.0,
        1.0,
    ]
    theme.refresh_from_db()
    assert theme.size == 3
    assert list(made.events.values_list("kind", "actor__username", "data")) == [
        ("created", "lead-user", {"split_from": {str(theme.pk): vouchers}, "case_count": 2, "job": job.pk})
    ]
    assert list(theme.events.values_list("kind", "actor__username", "data")) == [
        ("split", "lead-user", {"into": [made.pk], "case_ids": vouchers, "selection": True, "job": job.pk})
    ]


def test_split_selection_without_a_label_is_named_from_its_cases(
    refunds, team_lead, django_capture_on_commit_callbacks
):
    theme, _, cases, _ = refunds

    with django_capture_on_commit_callbacks(execute=True):
        job = theme_split_selection_request(case_ids=[cases[3].pk, cases[4].pk], from_theme=theme, by=team_lead)
    job.refresh_from_db()

    made = Theme.objects.get(pk=job.result_theme_ids[0])
    assert made.is_label_custom is False
    assert made.label == made.model_label
    assert made.label == "Code expired"


def test_executing_a_job_twice_does_the_work_once(refunds, team_lead, django_capture_on_commit_callbacks):
    theme, _, cases, _ = refunds
    with django_capture_on_commit_callbacks(execute=False):
        job = theme_split_selection_request(case_ids=[cases[0].pk], label="One", from_theme=theme, by=team_lead)

    first = curation_job_execute(job_id=job.pk)
    second = curation_job_execute(job_id=job.pk)

    assert first.status == CurationJob.Status.SUCCEEDED
    assert second is None
    assert Theme.objects.filter(label="One").count() == 1


def test_a_case_moved_away_before_the_job_runs_fails_it_and_changes_nothing(
    refunds, team_lead, django_capture_on_commit_callbacks
):
    theme, other, cases, _ = refunds
    with django_capture_on_commit_callbacks(execute=False):
        job = theme_split_selection_request(case_ids=[cases[0].pk], label="One", from_theme=theme, by=team_lead)
    CaseTheme.objects.filter(case=cases[0]).update(theme=other)

    job = curation_job_execute(job_id=job.pk)

    assert job.status == CurationJob.Status.FAILED
    assert job.error == f"Not in theme {theme.pk}: {cases[0].pk}."
    assert Theme.objects.count() == 2


def test_split_selection_refuses_an_executive_and_an_owner(refunds, executive, department_owner):
    theme, _, cases, _ = refunds
    for user in (executive, department_owner):
        with pytest.raises(NotAllowed):
            theme_split_selection_request(case_ids=[cases[0].pk], from_theme=theme, by=user)
    assert CurationJob.objects.count() == 0


@pytest.mark.parametrize(
    ("case_ids", "message"),
    [
        ([], "Select at least one case."),
        ([999_999], "Unknown case ids: 999999."),
        (list(range(1, SELECTION_MAXIMUM_CASES + 2)), "Select at most 1,000 cases at a time (1,001 selected)."),
    ],
    ids=["empty", "unknown", "over-the-cap"],
)
def test_split_selection_refuses_a_bad_selection_naming_case_ids(refunds, team_lead, case_ids, message):
    theme, _, _, _ = refunds

    with pytest.raises(Invalid) as refused:
        theme_split_selection_request(case_ids=case_ids, from_theme=theme, by=team_lead)

    assert refused.value.message_dict == {"case_ids": [message]}
    assert CurationJob.objects.count() == 0


def test_split_selection_refuses_cases_of_a_different_theme(refunds, team_lead):
    theme, _, cases, stranger = refunds

    with pytest.raises(Invalid) as refused:
        theme_split_selection_request(case_ids=[cases[0].pk, stranger.pk], from_theme=theme, by=team_lead)

    assert refused.value.message_dict == {"case_ids": [f"Not in theme {theme.pk}: {stranger.pk}."]}


def test_split_selection_refuses_a_label_over_200_characters(refunds, team_lead):
    theme, _, cases, _ = refunds

    with pytest.raises(Invalid) as refused:
        theme_split_selection_request(case_ids=[cases[0].pk], label="x" * 201, from_theme=theme, by=team_lead)

    assert refused.value.message_dict == {"label": ["The label must be at most 200 characters."]}


def test_split_selection_from_anywhere_takes_unassigned_cases_and_cases_of_several_themes(
    refunds, team_lead, django_capture_on_commit_callbacks
):
    theme, other, cases, stranger = refunds
    loose = _case(None, "refund still not here", _axis(0))

    with django_capture_on_commit_callbacks(execute=True):
        job = theme_split_selection_request(case_ids=[cases[0].pk, stranger.pk, loose.pk], label="Mixed", by=team_lead)
    job.refresh_from_db()

    made = Theme.objects.get(pk=job.result_theme_ids[0])
    assert made.size == 3
    assert sorted(Theme.objects.filter(pk__in=[theme.pk, other.pk]).values_list("size", flat=True)) == [0, 4]
    assert ThemeEvent.objects.filter(kind="split").count() == 2


def test_kmeans_split_request_runs_as_a_job_and_names_its_parts(refunds, team_lead, django_capture_on_commit_callbacks):
    theme, _, _, _ = refunds

    with django_capture_on_commit_callbacks(execute=True):
        job = theme_split_kmeans_request(theme=theme, parts=2, by=team_lead)
    job.refresh_from_db()

    assert job.status == CurationJob.Status.SUCCEEDED
    assert job.result_theme_ids[0] == theme.pk
    assert sorted(Theme.objects.filter(pk__in=job.result_theme_ids).values_list("size", flat=True)) == [2, 3]


def test_kmeans_split_request_refuses_too_few_embedded_cases(team_lead):
    theme = ThemeFactory()
    _case(theme, "only one", _axis(0))

    with pytest.raises(Invalid) as refused:
        theme_split_kmeans_request(theme=theme, parts=2, by=team_lead)

    assert refused.value.message_dict == {
        "parts": [f"Theme {theme.pk} has 1 embedded cases; splitting into 2 needs at least 4."]
    }


def test_split_selection_refuses_a_merged_theme(refunds, team_lead):
    theme, other, cases, _ = refunds
    Theme.objects.filter(pk=theme.pk).update(status=Theme.Status.MERGED, merged_into=other)
    theme.refresh_from_db()

    with pytest.raises(ThemeStateError):
        theme_split_selection_request(case_ids=[cases[0].pk], from_theme=theme, by=team_lead)


def test_every_event_of_a_kmeans_split_job_names_the_requester(refunds, team_lead, django_capture_on_commit_callbacks):
    theme, _, _, _ = refunds

    with django_capture_on_commit_callbacks(execute=True):
        job = theme_split_kmeans_request(theme=theme, parts=2, by=team_lead)
    job.refresh_from_db()

    new_part = job.result_theme_ids[1]
    assert sorted(ThemeEvent.objects.values_list("theme_id", "kind", "actor__username")) == sorted(
        [(theme.pk, "split", "lead-user"), (new_part, "created", "lead-user")]
    )


def test_every_event_of_a_selection_split_from_several_themes_names_the_requester(
    refunds, team_lead, django_capture_on_commit_callbacks
):
    theme, other, cases, stranger = refunds

    with django_capture_on_commit_callbacks(execute=True):
        job = theme_split_selection_request(case_ids=[cases[0].pk, stranger.pk], label="Mixed", by=team_lead)
    job.refresh_from_db()

    made = job.result_theme_ids[0]
    assert sorted(ThemeEvent.objects.values_list("theme_id", "kind", "actor__username")) == sorted(
        [(made, "created", "lead-user"), (theme.pk, "split", "lead-user"), (other.pk, "split", "lead-user")]
    )


def test_a_job_whose_requester_was_deleted_fails_and_changes_nothing(
    refunds, team_lead, django_capture_on_commit_callbacks
):
    theme, _, cases, _ = refunds
    with django_capture_on_commit_callbacks(execute=False):
        job = theme_split_selection_request(case_ids=[cases[0].pk], label="Orphan", from_theme=theme, by=team_lead)
    User.objects.filter(pk=team_lead.pk).delete()

    curation_job_execute(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error, job.result_theme_ids) == (
        "failed",
        "The user who requested this job no longer exists; nothing was changed.",
        [],
    )
    assert (Theme.objects.count(), ThemeEvent.objects.count()) == (2, 0)


NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _job(*, status: str, created_ago: int, started_ago: int | None = None) -> CurationJob:
    job = CurationJob.objects.create(kind=CurationJob.Kind.SPLIT_KMEANS, status=status, steps_done=1)
    CurationJob.objects.filter(pk=job.pk).update(
        created_at=NOW - dt.timedelta(seconds=created_ago),
        started_at=NOW - dt.timedelta(seconds=started_ago) if started_ago is not None else None,
    )
    return job


def test_the_sweep_fails_a_job_running_past_the_timeout_and_one_queued_past_its_timeout(settings):
    settings.CURATION_JOB_RUNNING_TIMEOUT_SECONDS = 900
    settings.CURATION_JOB_QUEUED_TIMEOUT_SECONDS = 2100
    lost = _job(status="running", created_ago=1000, started_ago=901)
    alive = _job(status="running", created_ago=1000, started_ago=899)
    never_started = _job(status="queued", created_ago=2101)
    waiting = _job(status="queued", created_ago=2099)
    done = _job(status="succeeded", created_ago=5000, started_ago=5000)

    failed = curation_jobs_fail_stale(now=NOW)

    assert failed == 2
    rows = {
        job.pk: (job.status, job.error, job.finished_at)
        for job in CurationJob.objects.filter(pk__in=[lost.pk, alive.pk, never_started.pk, waiting.pk, done.pk])
    }
    assert rows == {
        lost.pk: ("failed", "Worker lost: still running after 900 s; nothing was changed by this job.", NOW),
        alive.pk: ("running", "", None),
        never_started.pk: ("failed", "Never started: still queued after 2100 s.", NOW),
        waiting.pk: ("queued", "", None),
        done.pk: ("succeeded", "", None),
    }


def test_a_second_sweep_fails_nothing_more():
    _job(status="running", created_ago=10_000, started_ago=10_000)
    assert curation_jobs_fail_stale(now=NOW) == 1

    assert curation_jobs_fail_stale(now=NOW) == 0


def test_a_stale_job_failed_by_the_sweep_is_not_run_by_a_late_delivery(refunds, team_lead):
    theme, _, _, _ = refunds
    job = _job(status="queued", created_ago=10_000)
    CurationJob.objects.filter(pk=job.pk).update(theme=theme, requested_by=team_lead, parameters={"parts": 2})
    curation_jobs_fail_stale(now=NOW)

    assert curation_job_execute(job_id=job.pk) is None
    assert Theme.objects.count() == 2


def test_a_running_job_is_stale_only_after_its_task_could_have_lived():
    assert settings.CURATION_JOB_RUNNING_TIMEOUT_SECONDS > curation_job_task.time_limit
    assert settings.CURATION_JOB_QUEUED_TIMEOUT_SECONDS > settings.CELERY_BROKER_VISIBILITY_TIMEOUT


def test_beat_sweeps_stale_curation_jobs_every_recovery_period():
    assert settings.CELERY_BEAT_SCHEDULE["themes-stale-curation-jobs"] == {
        "task": "improvement.curation_job_fail_stale_task",
        "schedule": settings.RECOVERY_SWEEP_SECONDS,
    }
