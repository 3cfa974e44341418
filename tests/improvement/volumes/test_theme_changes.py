"""The daily count tables follow every change of a case's theme: arrival, merge, move."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cases.embedding import embedding_to_bytes
from cases.models import Case
from cases.services.ingest import case_ingest_many
from improvement.models import CaseTheme, DailyThemeVolume, DailyTotalVolume, Theme
from improvement.themes.services.assignment import theme_assign_new_cases
from improvement.themes.services.curation import theme_merge, theme_move_cases

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def _unit(index: int) -> np.ndarray:
    vector = np.zeros(384, dtype=np.float32)
    vector[index] = 1.0
    return vector


def _embedded_case(external_id: str, direction: int) -> Case:
    return Case.objects.create(
        channel="twitter",
        external_id=external_id,
        brand="Skyway",
        text="my bag is lost",
        received_at=dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC),
        embedding=embedding_to_bytes(_unit(direction)),
        embedding_model="all-MiniLM-L6-v2",
        embedded_at=dt.datetime(2026, 3, 2, 13, tzinfo=dt.UTC),
    )


def _theme(label: str, direction: int) -> Theme:
    return Theme.objects.create(label=label, centroid=embedding_to_bytes(_unit(direction)))


def _theme_counts() -> dict[int, int]:
    return dict(DailyThemeVolume.objects.filter(day=DAY).values_list("theme_id", "count"))


def test_new_cases_count_in_the_total_when_they_arrive_even_before_any_theme_exists(
    django_capture_on_commit_callbacks,
):
    row = {
        "external_id": "1",
        "channel": "twitter",
        "brand": "Skyway",
        "text": "my bag is lost",
        "received_at": "2026-03-02T12:00:00+00:00",
    }

    with django_capture_on_commit_callbacks(execute=True):
        case_ingest_many(rows=[row], embed=False)

    assert list(DailyTotalVolume.objects.values_list("day", "count")) == [(DAY, 1)]
    assert DailyThemeVolume.objects.count() == 0


def test_a_case_that_joins_a_theme_is_counted_on_that_theme():
    luggage = _theme("lost bag", 0)
    case = _embedded_case("1", 0)

    theme_assign_new_cases(case_ids=[case.id])

    assert _theme_counts() == {luggage.id: 1}


def test_merge_moves_the_daily_counts_to_the_survivor(team_lead):
    luggage, bags = _theme("lost bag", 0), _theme("bags", 1)
    cases = [_embedded_case("1", 0), _embedded_case("2", 1), _embedded_case("3", 1)]
    theme_assign_new_cases(case_ids=[case.id for case in cases])
    assert _theme_counts() == {luggage.id: 1, bags.id: 2}

    theme_merge(theme=bags, into=luggage, by=team_lead)

    assert _theme_counts() == {luggage.id: 3}


def test_moving_cases_moves_their_daily_counts(team_lead):
    luggage, refunds = _theme("lost bag", 0), _theme("refunds", 1)
    cases = [_embedded_case("1", 0), _embedded_case("2", 0)]
    theme_assign_new_cases(case_ids=[case.id for case in cases])

    theme_move_cases(case_ids=[cases[0].id], to=refunds, by=team_lead)

    assert _theme_counts() == {luggage.id: 1, refunds.id: 1}
    assert CaseTheme.objects.get(case=cases[0]).source == CaseTheme.Source.MANUAL
