"""The swap of a fit, on hand-made vectors and fit results (fast): labels kept, curation kept, no empty theme."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import transaction
from django.utils import timezone

from cases.embedding import EMBEDDING_DIMENSION, EMBEDDING_MODEL_NAME, embedding_to_bytes
from improvement.models import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.themes import ml
from improvement.themes.selectors import embedded_cases_snapshot, existing_themes
from improvement.themes.services.curation import theme_merge, theme_move_cases, theme_rename
from improvement.themes.services.fit_swap import fit_swap_in
from improvement.themes.services.groups import theme_group_create
from tests.improvement.workflow_factories import CaseFactory

pytestmark = pytest.mark.django_db

PER_THEME = 12


def _direction(axis: int) -> np.ndarray:
    vector = np.zeros(EMBEDDING_DIMENSION, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def _cases_near(axis: int, count: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    ids = []
    for _ in range(count):
        vector = _direction(axis) + 0.05 * rng.standard_normal(EMBEDDING_DIMENSION).astype(np.float32)
        case = CaseFactory(
            analysis_text=f"words of {axis}",
            embedding=embedding_to_bytes(vector / np.linalg.norm(vector)),
            embedding_model=EMBEDDING_MODEL_NAME,
            embedded_at=timezone.now(),
        )
        ids.append(case.pk)
    return ids


def _theme(label: str, axis: int, case_ids: list[int]) -> Theme:
    theme = Theme.objects.create(
        label=label, model_label=label, centroid=embedding_to_bytes(_direction(axis)), size=len(case_ids)
    )
    CaseTheme.objects.bulk_create(
        [CaseTheme(case_id=case_id, theme=theme, source=CaseTheme.Source.FIT) for case_id in case_ids]
    )
    return theme


def _fit(labels_by_axis: dict[int, str]) -> tuple[ClusteringRun, ml.FitResult]:
    """A fit that finds one cluster per axis: the embedded cases nearest that axis, labelled as given."""
    snapshot = embedded_cases_snapshot()
    axes = list(labels_by_axis)
    nearest = np.argmax(snapshot.embeddings[:, axes], axis=1)
    clusters = []
    for index, axis in enumerate(axes):
        members = np.flatnonzero(nearest == index)
        clusters.append(
            ml.ThemeCluster(
                label=labels_by_axis[axis],
                keywords=[labels_by_axis[axis]],
                member_indices=members,
                representative_indices=members[:3].tolist(),
                centroid=ml.unit_centroid(snapshot.embeddings[members]),
            )
        )
    result = ml.FitResult(
        clusters=clusters, assignments=nearest.astype(np.int64), outlier_share=0.0, parameters={}, model_versions={}
    )
    run = ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)
    return run, result


def _swap(run: ClusteringRun, result: ml.FitResult) -> ClusteringRun:
    snapshot = embedded_cases_snapshot()
    existing = existing_themes()
    cluster_case_ids = [
        frozenset(int(case_id) for case_id in snapshot.case_ids[cluster.member_indices]) for cluster in result.clusters
    ]
    matches = ml.theme_match_clusters(
        cluster_case_ids=cluster_case_ids, cluster_centroids=result.centroids, themes=existing
    )
    with transaction.atomic():
        fit_swap_in(
            run_id=run.pk, snapshot=snapshot, result=result, matches=matches, existing=existing, duration_seconds=1.0
        )
    run.refresh_from_db()
    return run


def _active() -> list[tuple[int, str, int]]:
    return list(Theme.objects.filter(status=Theme.Status.ACTIVE).order_by("id").values_list("id", "label", "size"))


def test_a_refit_keeps_labels_and_stores_the_fit_label_as_a_suggestion_by_the_run(team_lead):
    parcel = _theme("parcel, delivered, marked", 0, _cases_near(0, PER_THEME, 1))
    refund = _theme("refund words", 1, _cases_near(1, PER_THEME, 2))
    theme_rename(theme=refund, label="Refund not received", by=team_lead)
    run, result = _fit({0: "Parcel marked delivered but never arrived", 1: "Refund still not received"})

    run = _swap(run, result)

    parcel.refresh_from_db()
    refund.refresh_from_db()
    assert (parcel.label, parcel.suggested_label, parcel.model_label) == (
        "parcel, delivered, marked",
        "Parcel marked delivered but never arrived",
        "Parcel marked delivered but never arrived",
    )
    assert (refund.label, refund.suggested_label, refund.model_label) == (
        "Refund not received",
        "",
        "Refund still not received",
    )
    assert list(ThemeEvent.objects.filter(run=run).values_list("theme_id", "kind", "actor", "data")) == [
        (
            parcel.pk,
            "label_suggested",
            None,
            {"label": "parcel, delivered, marked", "suggested": "Parcel marked delivered but never arrived"},
        )
    ]
    assert (run.new_theme_count, run.matched_theme_count) == (0, 2)


def test_a_new_cluster_gets_the_fitted_label():
    _theme("parcel words", 0, _cases_near(0, PER_THEME, 1))
    _cases_near(2, PER_THEME, 3)
    run, result = _fit({0: "Parcel late", 2: "App logs customers out at checkout"})

    run = _swap(run, result)

    new = Theme.objects.get(first_run=run)
    assert (new.label, new.suggested_label, new.size, run.new_theme_count) == (
        "App logs customers out at checkout",
        "",
        PER_THEME,
        1,
    )
    assert list(ThemeEvent.objects.filter(theme=new).values_list("kind", "run_id")) == [("created", run.pk)]


def test_a_refit_after_a_merge_makes_no_theme_of_the_merged_cases_and_the_merged_theme_stays_merged(team_lead):
    parcel = _theme("Parcel late", 0, _cases_near(0, PER_THEME, 1))
    refund = _theme("Refund late", 1, _cases_near(1, PER_THEME, 2))
    theme_merge(theme=refund, into=parcel, by=team_lead)
    run, result = _fit({0: "Parcel late", 1: "Refund late again"})

    run = _swap(run, result)

    refund.refresh_from_db()
    assert _active() == [(parcel.pk, "Parcel late", 2 * PER_THEME)]
    assert (refund.status, refund.merged_into_id, refund.size) == (Theme.Status.MERGED, parcel.pk, 0)
    assert (run.new_theme_count, run.theme_count) == (0, 1)
    assert Theme.objects.count() == 2


def test_a_matched_theme_whose_cases_were_all_moved_away_by_hand_goes_dormant_not_active_and_empty(team_lead):
    parcel = _theme("Parcel late", 0, _cases_near(0, PER_THEME, 1))
    refund_cases = _cases_near(1, PER_THEME, 2)
    refund = _theme("Refund late", 1, refund_cases)
    theme_move_cases(case_ids=refund_cases, to=parcel, by=team_lead)
    run, result = _fit({0: "Parcel late", 1: "Refund late"})

    run = _swap(run, result)

    refund.refresh_from_db()
    assert _active() == [(parcel.pk, "Parcel late", 2 * PER_THEME)]
    assert (refund.status, refund.size) == (Theme.Status.DORMANT, 0)
    assert list(ThemeEvent.objects.filter(theme=refund, run=run).values_list("kind", flat=True)) == ["dormant"]
    assert run.new_theme_count == 0


def test_a_refit_keeps_the_groups_of_the_themes_it_finds_again(team_lead):
    parcel = _theme("Parcel late", 0, _cases_near(0, PER_THEME, 1))
    refund = _theme("Refund late", 1, _cases_near(1, PER_THEME, 2))
    group = theme_group_create(name="Orders", themes=[parcel, refund], by=team_lead)
    run, result = _fit({0: "Parcel late", 1: "Refund late"})

    _swap(run, result)

    assert sorted(Theme.objects.filter(group=group).values_list("id", flat=True)) == [parcel.pk, refund.pk]
