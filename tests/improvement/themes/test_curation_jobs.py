"""Splitting a selection out as a new theme (and k-means splits) as curation jobs: request, task, refusals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cases.embedding import EMBEDDING_DIMENSION, embedding_to_bytes
from improvement.errors import Invalid, NotAllowed, ThemeStateError
from improvement.models import CaseTheme, CurationJob, Theme, ThemeEvent
from improvement.themes.services.curation_jobs import (
    SELECTION_MAXIMUM_CASES,
    curation_job_execute,
    theme_split_kmeans_request,
    theme_split_selection_request,
)
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
    assert made.label == "code, code expired, expired use"


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
