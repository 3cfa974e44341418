"""Theme services on real airline tweets and the real model: runs, identity across refits, arrivals, curation."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.embedding import (
    EMBEDDING_DIMENSION,
    embedding_from_bytes,
    embedding_to_bytes,
)
from cases.models import Case
from improvement.errors import ThemeStateError
from improvement.models import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.themes.ml import ExistingTheme, theme_match_clusters, theme_sticky_assignments
from improvement.themes.selectors import theme_stop_words
from improvement.themes.services.assignment import theme_assign_backlog, theme_assign_new_cases
from improvement.themes.services.curation import theme_merge, theme_move_cases, theme_rename, theme_split
from improvement.themes.services.runs import clustering_run_execute, clustering_run_request
from tests.factories import UserFactory
from tests.improvement.theme_data import (
    store_cases,
    themes_by_reason,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _run(django_capture_on_commit_callbacks) -> ClusteringRun:
    """Request a run without letting its task run, then execute it here."""
    with django_capture_on_commit_callbacks(execute=False):
        run = clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND)
    return clustering_run_execute(run_id=run.pk)


def _assignments() -> dict[int, int | None]:
    return dict(CaseTheme.objects.values_list("case_id", "theme_id"))


def _theme_rows() -> list[tuple]:
    return list(Theme.objects.order_by("id").values_list("id", "label", "status", "size", "centroid", "keywords"))


# --- clustering runs -----------------------------------------------------------------------------------------------


def test_clustering_run_finds_themes_and_assigns_every_case(airline_tweets, django_capture_on_commit_callbacks):
    store_cases(airline_tweets)

    run = _run(django_capture_on_commit_callbacks)

    assert run.status == ClusteringRun.Status.SUCCEEDED
    assert run.case_count == 450
    assert run.theme_count >= 2
    assert (run.new_theme_count, run.matched_theme_count) == (run.theme_count, 0)
    assert Theme.objects.filter(status=Theme.Status.ACTIVE).count() == run.theme_count
    assert CaseTheme.objects.count() == 450
    unassigned = CaseTheme.objects.filter(theme__isnull=True).count()
    assert unassigned == round(run.outlier_share * 450)
    assert sum(Theme.objects.values_list("size", flat=True)) == 450 - unassigned
    assert ThemeEvent.objects.filter(kind=ThemeEvent.Kind.CREATED, run=run).count() == run.theme_count


def test_clustering_run_keeps_brand_names_out_of_labels(airline_tweets, django_capture_on_commit_callbacks):
    store_cases(airline_tweets)

    _run(django_capture_on_commit_callbacks)

    words = {
        word for keywords in Theme.objects.values_list("keywords", flat=True) for k in keywords for word in k.split()
    }
    assert words.isdisjoint(
        {
            "united",
            "usairways",
            "americanair",
            "southwestair",
            "jetblue",
            "virginamerica",
        }
    )


def test_theme_stop_words_are_each_brand_and_its_no_space_form(db):
    Case.objects.create(
        channel="twitter",
        external_id="1",
        brand="Virgin America",
        text="x",
        received_at="2015-02-24T00:00Z",
    )
    Case.objects.create(
        channel="twitter",
        external_id="2",
        brand="United",
        text="x",
        received_at="2015-02-24T00:00Z",
    )

    assert theme_stop_words() == ["United", "Virgin America", "VirginAmerica"]


def test_refit_on_the_same_cases_keeps_every_theme_id_and_assignment(
    airline_tweets, django_capture_on_commit_callbacks
):
    store_cases(airline_tweets)
    first = _run(django_capture_on_commit_callbacks)
    before_assignments = _assignments()
    before_ids = set(Theme.objects.values_list("id", flat=True))

    second = _run(django_capture_on_commit_callbacks)

    assert second.status == ClusteringRun.Status.SUCCEEDED
    assert second.new_theme_count == 0
    assert second.matched_theme_count == first.theme_count
    assert set(Theme.objects.values_list("id", flat=True)) == before_ids
    assert _assignments() == before_assignments


def test_custom_label_survives_a_refit_and_the_model_label_is_refreshed(
    airline_tweets, team_lead, django_capture_on_commit_callbacks
):
    store_cases(airline_tweets)
    _run(django_capture_on_commit_callbacks)
    theme = Theme.objects.order_by("-size", "id").first()
    model_label = theme.model_label
    theme_rename(theme=theme, label="Lost and delayed bags", by=team_lead)

    _run(django_capture_on_commit_callbacks)

    theme.refresh_from_db()
    assert (theme.label, theme.is_label_custom, theme.model_label) == (
        "Lost and delayed bags",
        True,
        model_label,
    )


def test_theme_no_longer_found_goes_dormant(airline_tweets, django_capture_on_commit_callbacks):
    store_cases(airline_tweets)
    _run(django_capture_on_commit_callbacks)
    # A theme of an earlier, different data set: its cases are gone and nothing near its centroid is left.
    faraway = -airline_tweets.embeddings.mean(axis=0)
    gone = Theme.objects.create(
        label="old theme",
        centroid=embedding_to_bytes(faraway / np.linalg.norm(faraway)),
    )

    second = _run(django_capture_on_commit_callbacks)

    gone.refresh_from_db()
    assert gone.status == Theme.Status.DORMANT
    assert second.dormant_theme_count == 1
    assert ThemeEvent.objects.filter(theme=gone, kind=ThemeEvent.Kind.DORMANT, run=second).count() == 1


def test_dormant_theme_found_again_is_reactivated_with_its_id(airline_tweets, django_capture_on_commit_callbacks):
    store_cases(airline_tweets)
    _run(django_capture_on_commit_callbacks)
    theme = Theme.objects.order_by("-size", "id").first()
    # As after a run that did not find it: dormant, its cases left without a theme.
    CaseTheme.objects.filter(theme=theme).update(theme=None)
    Theme.objects.filter(pk=theme.pk).update(status=Theme.Status.DORMANT, size=0)

    third = _run(django_capture_on_commit_callbacks)

    theme.refresh_from_db()
    assert (theme.status, theme.last_seen_run_id) == (Theme.Status.ACTIVE, third.pk)
    assert theme.size == CaseTheme.objects.filter(theme=theme).count() > 0
    assert third.new_theme_count == 0
    assert ThemeEvent.objects.filter(theme=theme, kind=ThemeEvent.Kind.REACTIVATED, run=third).count() == 1


def test_run_over_a_case_with_a_malformed_embedding_fails_and_changes_nothing(
    airline_tweets, django_capture_on_commit_callbacks
):
    cases = store_cases(airline_tweets)
    _run(django_capture_on_commit_callbacks)
    themes_before, assignments_before = _theme_rows(), _assignments()
    Case.objects.filter(pk=cases[7].pk).update(embedding=b"\x00" * 12)

    failed = _run(django_capture_on_commit_callbacks)

    assert failed.status == ClusteringRun.Status.FAILED
    assert failed.error == (
        f"ClusteringError: Case {cases[7].pk} has a stored embedding of 3 values; expected {EMBEDDING_DIMENSION}."
    )
    assert failed.finished_at is not None
    assert _theme_rows() == themes_before
    assert _assignments() == assignments_before


def test_run_with_no_embedded_cases_fails(db, django_capture_on_commit_callbacks):
    failed = _run(django_capture_on_commit_callbacks)

    assert (failed.status, failed.error) == (
        ClusteringRun.Status.FAILED,
        "ClusteringError: No embedded cases to cluster.",
    )
    assert Theme.objects.count() == 0


def test_executing_a_run_twice_does_the_work_once(airline_tweets, django_capture_on_commit_callbacks):
    store_cases(airline_tweets)
    run = _run(django_capture_on_commit_callbacks)
    events = ThemeEvent.objects.count()

    again = clustering_run_execute(run_id=run.pk)

    assert (again.status, again.finished_at) == (
        ClusteringRun.Status.SUCCEEDED,
        run.finished_at,
    )
    assert ThemeEvent.objects.count() == events


def test_run_request_is_refused_while_another_run_is_pending(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        pending = clustering_run_request(trigger=ClusteringRun.Trigger.API)

    with pytest.raises(ThemeStateError, match=f"Clustering run {pending.pk} is already pending"):
        clustering_run_request(trigger=ClusteringRun.Trigger.API)


def test_refit_keeps_manual_moves(airline_tweets, team_lead, django_capture_on_commit_callbacks):
    cases = store_cases(airline_tweets)
    _run(django_capture_on_commit_callbacks)
    first, second = Theme.objects.order_by("-size", "id")[:2]
    moved = list(CaseTheme.objects.filter(theme=first).order_by("case_id").values_list("case_id", flat=True)[:3])
    theme_move_cases(case_ids=moved, to=second, by=team_lead)

    _run(django_capture_on_commit_callbacks)

    assert set(CaseTheme.objects.filter(case_id__in=moved).values_list("theme_id", "source")) == {
        (second.pk, CaseTheme.Source.MANUAL)
    }
    assert len(cases) == 450


# --- identity matching ---------------------------------------------------------------------------------------------


def test_match_pairs_clusters_with_the_themes_sharing_their_cases():
    centroids = np.eye(3, dtype=np.float32)
    themes = [
        ExistingTheme(
            theme_id=10,
            centroid=np.eye(3, dtype=np.float32)[1],
            case_ids=frozenset({4, 5, 6}),
        ),
        ExistingTheme(
            theme_id=11,
            centroid=np.eye(3, dtype=np.float32)[0],
            case_ids=frozenset({1, 2, 3}),
        ),
    ]

    matches = theme_match_clusters(
        cluster_case_ids=[frozenset({1, 2, 3}), frozenset({4, 5}), frozenset({7, 8})],
        cluster_centroids=centroids,
        themes=themes,
    )

    assert matches == {0: 11, 1: 10}


def test_match_brings_back_a_theme_without_cases_on_a_close_centroid_only():
    close = np.array([1.0, 0.1, 0.0], dtype=np.float32)
    themes = [
        ExistingTheme(theme_id=20, centroid=close / np.linalg.norm(close), case_ids=frozenset()),
        ExistingTheme(
            theme_id=21,
            centroid=np.array([0.6, 0.8, 0.0], dtype=np.float32),
            case_ids=frozenset(),
        ),
    ]

    matches = theme_match_clusters(
        cluster_case_ids=[frozenset({1})],
        cluster_centroids=np.eye(3, dtype=np.float32)[:1],
        themes=themes,
    )

    assert matches == {0: 20}


# --- new cases joining themes --------------------------------------------------------------------------------------


def test_new_cases_join_the_nearest_theme_or_stay_unassigned(airline_tweets):
    known = [i for i in range(450) if i % 10]
    arriving = [i for i in range(450) if i % 10 == 0]
    themes = themes_by_reason(airline_tweets, store_cases(airline_tweets, known), known)
    new_cases = store_cases(airline_tweets, arriving)

    result = theme_assign_new_cases(case_ids=[case.pk for case in new_cases])

    assert result.assigned + result.unassigned == 45
    links = CaseTheme.objects.filter(case__in=new_cases)
    assert links.count() == 45
    assert set(links.values_list("source", flat=True)) == {CaseTheme.Source.INCREMENTAL}
    assert links.filter(theme__isnull=True).count() == result.unassigned
    for theme in themes.values():
        theme.refresh_from_db()
        assert theme.size == CaseTheme.objects.filter(theme=theme).count()
    correct = sum(
        1
        for case, i in zip(new_cases, arriving, strict=True)
        if links.get(case=case).theme_id == themes[airline_tweets.reasons[i]].pk
    )
    assert correct >= 25


def test_assigning_again_leaves_already_assigned_cases_alone(airline_tweets):
    known = list(range(0, 450, 2))
    themes_by_reason(airline_tweets, store_cases(airline_tweets, known), known)
    new_cases = store_cases(airline_tweets, [1, 3, 5])
    theme_assign_new_cases(case_ids=[case.pk for case in new_cases])

    again = theme_assign_new_cases(case_ids=[case.pk for case in new_cases])

    assert (again.assigned, again.unassigned) == (0, 0)


def test_new_cases_wait_for_the_first_run_when_there_are_no_themes(airline_tweets):
    cases = store_cases(airline_tweets, [0, 1])

    result = theme_assign_new_cases(case_ids=[case.pk for case in cases])

    assert (result.assigned, result.unassigned, CaseTheme.objects.count()) == (0, 0, 0)


# --- curation ------------------------------------------------------------------------------------------------------


@pytest.fixture
def reason_themes(airline_tweets) -> dict[str, Theme]:
    indices = list(range(450))
    return themes_by_reason(airline_tweets, store_cases(airline_tweets, indices), indices)


def test_rename_sets_a_custom_label_with_history(reason_themes, team_lead):
    theme = reason_themes["Late Flight"]

    theme_rename(theme=theme, label="  Delays at the gate ", by=team_lead)

    theme.refresh_from_db()
    assert (theme.label, theme.is_label_custom) == ("Delays at the gate", True)
    event = ThemeEvent.objects.get(theme=theme, kind=ThemeEvent.Kind.RENAMED)
    assert (event.actor, event.data) == (
        team_lead,
        {"from": "late flight", "to": "Delays at the gate"},
    )


def test_rename_refuses_an_empty_label(reason_themes, team_lead):
    with pytest.raises(ValidationError, match="must not be empty"):
        theme_rename(theme=reason_themes["Late Flight"], label="   ", by=team_lead)


def test_merge_moves_cases_to_the_survivor_and_points_the_merged_theme_at_it(reason_themes, team_lead):
    late, cancelled = reason_themes["Late Flight"], reason_themes["Cancelled Flight"]

    survivor = theme_merge(theme=late, into=cancelled, by=team_lead)

    late.refresh_from_db()
    assert survivor == cancelled
    assert (late.status, late.merged_into_id, late.size) == (
        Theme.Status.MERGED,
        cancelled.pk,
        0,
    )
    assert survivor.size == 180
    assert CaseTheme.objects.filter(theme=cancelled).count() == 180
    assert CaseTheme.objects.filter(theme=late).count() == 0
    assert CaseTheme.objects.filter(theme=cancelled, source=CaseTheme.Source.MANUAL).count() == 90
    assert ThemeEvent.objects.get(theme=late, kind=ThemeEvent.Kind.MERGED).data == {
        "into": cancelled.pk,
        "case_count": 90,
    }
    assert ThemeEvent.objects.get(theme=cancelled, kind=ThemeEvent.Kind.MERGED).data == {
        "absorbed": late.pk,
        "case_count": 90,
    }


def test_merge_refuses_a_theme_already_merged(reason_themes, team_lead):
    late = reason_themes["Late Flight"]
    theme_merge(theme=late, into=reason_themes["Cancelled Flight"], by=team_lead)

    with pytest.raises(ThemeStateError, match="already merged"):
        theme_merge(theme=late, into=reason_themes["Lost Luggage"], by=team_lead)


def test_merge_refuses_a_dormant_survivor(reason_themes, team_lead):
    Theme.objects.filter(pk=reason_themes["Lost Luggage"].pk).update(status=Theme.Status.DORMANT)

    with pytest.raises(ThemeStateError, match="merge only into an active theme"):
        theme_merge(
            theme=reason_themes["Late Flight"],
            into=reason_themes["Lost Luggage"],
            by=team_lead,
        )


def test_split_keeps_the_largest_part_on_the_original_and_labels_the_rest(reason_themes, team_lead):
    theme = reason_themes["Customer Service Issue"]

    original, part = theme_split(theme=theme, parts=2, by=team_lead)

    assert original.pk == theme.pk
    assert original.size + part.size == 90
    assert original.size >= part.size > 0
    assert CaseTheme.objects.filter(theme=original).count() == original.size
    assert CaseTheme.objects.filter(theme=part, source=CaseTheme.Source.MANUAL).count() == part.size
    assert part.label != "unlabelled" and part.keywords
    assert embedding_from_bytes(part.centroid).shape == (EMBEDDING_DIMENSION,)
    assert ThemeEvent.objects.get(theme=original, kind=ThemeEvent.Kind.SPLIT).data == {
        "into": [part.pk],
        "sizes": [original.size, part.size],
    }
    assert ThemeEvent.objects.get(theme=part, kind=ThemeEvent.Kind.CREATED).data == {
        "split_from": original.pk,
        "case_count": part.size,
    }


def test_split_refuses_a_merged_theme(reason_themes, team_lead):
    late = reason_themes["Late Flight"]
    theme_merge(theme=late, into=reason_themes["Cancelled Flight"], by=team_lead)

    with pytest.raises(ThemeStateError, match="only an active theme can be split"):
        theme_split(theme=late, by=team_lead)


def test_move_cases_makes_manual_links_keeps_sizes_and_history(reason_themes, team_lead):
    late, cancelled = reason_themes["Late Flight"], reason_themes["Cancelled Flight"]
    moved = sorted(CaseTheme.objects.filter(theme=late).values_list("case_id", flat=True))[:4]

    theme_move_cases(case_ids=moved, to=cancelled, by=team_lead, from_theme=late)

    late.refresh_from_db()
    cancelled.refresh_from_db()
    assert (late.size, cancelled.size) == (86, 94)
    assert set(CaseTheme.objects.filter(case_id__in=moved).values_list("theme_id", "source")) == {
        (cancelled.pk, CaseTheme.Source.MANUAL)
    }
    assert ThemeEvent.objects.get(theme=cancelled, kind=ThemeEvent.Kind.CASES_MOVED).data == {
        "case_ids": moved,
        "from": {str(late.pk): moved},
    }
    assert ThemeEvent.objects.get(theme=late, kind=ThemeEvent.Kind.CASES_MOVED).data == {
        "case_ids": moved,
        "to": cancelled.pk,
    }


def test_move_cases_refuses_unknown_case_ids_and_changes_nothing(reason_themes, team_lead):
    late = reason_themes["Late Flight"]
    moved = list(CaseTheme.objects.filter(theme=late).values_list("case_id", flat=True)[:1])

    with pytest.raises(ValidationError, match="Unknown case ids: 999999"):
        theme_move_cases(
            case_ids=[*moved, 999999],
            to=reason_themes["Cancelled Flight"],
            by=team_lead,
        )
    assert CaseTheme.objects.get(case_id=moved[0]).theme_id == late.pk


@pytest.mark.parametrize(
    ("role_factory", "is_allowed"),
    [
        ("team_lead", True),
        ("staff_admin", True),
        ("executive", False),
        ("department_owner", False),
        (None, False),
    ],
)
def test_only_team_leads_and_staff_admins_curate(reason_themes, request, role_factory, is_allowed):
    user = request.getfixturevalue(role_factory) if role_factory else UserFactory(username="no-role")
    late, cancelled = reason_themes["Late Flight"], reason_themes["Cancelled Flight"]
    one_case = list(CaseTheme.objects.filter(theme=late).values_list("case_id", flat=True)[:1])
    curations = [
        lambda: theme_rename(theme=late, label="Late", by=user),
        lambda: theme_move_cases(case_ids=one_case, to=cancelled, by=user),
        lambda: theme_split(theme=cancelled, by=user),
        lambda: theme_merge(theme=late, into=cancelled, by=user),
        lambda: clustering_run_request(trigger=ClusteringRun.Trigger.API, requested_by=user),
    ]
    for curation in curations:
        if is_allowed:
            curation()
        else:
            with pytest.raises(PermissionDenied):
                curation()
    assert ThemeEvent.objects.exists() is is_allowed


def test_sticky_assignments_keep_a_case_in_its_theme_unless_clearly_closer_to_another():
    centroids = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    borderline = np.array([0.70, 0.714], dtype=np.float32)
    clearly_second = np.array([0.3, 0.954], dtype=np.float32)
    embeddings = np.stack([borderline, clearly_second, borderline])

    assignments, kept = theme_sticky_assignments(
        assignments=np.array([1, 1, -1]),
        embeddings=embeddings,
        centroids=centroids,
        previous_clusters=np.array([0, 0, 0]),
        threshold=0.3,
        margin=0.05,
    )

    assert assignments.tolist() == [0, 1, 0]
    assert kept == 2


def test_sticky_assignments_switched_off_keep_the_fit():
    assignments, kept = theme_sticky_assignments(
        assignments=np.array([1]),
        embeddings=np.array([[0.7, 0.714]], dtype=np.float32),
        centroids=np.eye(2, dtype=np.float32),
        previous_clusters=np.array([0]),
        margin=None,
    )

    assert (assignments.tolist(), kept) == ([1], 0)


def test_refit_keeps_a_theme_split_from_a_neighbour_while_its_cases_stay_close(
    airline_tweets, django_capture_on_commit_callbacks
):
    store_cases(airline_tweets)
    _run(django_capture_on_commit_callbacks)
    largest = Theme.objects.order_by("-size", "id").first()
    # As if an earlier fit had found two themes where this one is: half its cases, nearest each other, apart.
    members = np.array(sorted(CaseTheme.objects.filter(theme=largest).values_list("case_id", flat=True)))
    vectors = np.stack(
        [
            embedding_from_bytes(data)
            for data in Case.objects.filter(id__in=members).order_by("id").values_list("embedding", flat=True)
        ]
    )
    direction = vectors[0] - embedding_from_bytes(largest.centroid)
    half = members[np.argsort(-(vectors @ direction))[: len(members) // 2]]
    part_centroid = vectors[np.isin(members, half)].mean(axis=0)
    part = Theme.objects.create(
        label="part",
        centroid=embedding_to_bytes(part_centroid / np.linalg.norm(part_centroid)),
        size=len(half),
    )
    CaseTheme.objects.filter(case_id__in=half).update(theme=part)

    second = _run(django_capture_on_commit_callbacks)

    part.refresh_from_db()
    # Whether the refit separates the two halves again (part is matched) or blends them (part is
    # retained) depends on UMAP's floating point on the CPU at hand; either way part must live on.
    assert part.status == Theme.Status.ACTIVE
    assert part.last_seen_run_id == second.pk
    assert second.parameters["retained_theme_count"] in (0, 1)
    assert part.size == CaseTheme.objects.filter(theme=part).count() >= len(half) // 2


def test_backlog_places_embedded_cases_left_without_a_theme_once(airline_tweets, team_lead):
    known = [i for i in range(450) if i % 10]
    themes_by_reason(airline_tweets, store_cases(airline_tweets, known), known)
    left = store_cases(airline_tweets, [i for i in range(450) if i % 10 == 0])
    placed_by_hand = left[0]
    theme_move_cases(case_ids=[placed_by_hand.pk], to=Theme.objects.order_by("id").first(), by=team_lead)
    Case.objects.filter(pk=left[1].pk).update(embedded_at=timezone.now())

    result = theme_assign_backlog(older_than=timedelta(minutes=5))

    # 45 left without a theme: one placed by hand, one embedded just now (its own task is still queued).
    assert result.assigned + result.unassigned == 43
    assert CaseTheme.objects.filter(source=CaseTheme.Source.INCREMENTAL).count() == 43
    assert not CaseTheme.objects.filter(case=left[1]).exists()
    assert CaseTheme.objects.get(case=placed_by_hand).source == CaseTheme.Source.MANUAL
    again = theme_assign_backlog(older_than=timedelta(minutes=5))
    assert (again.assigned, again.unassigned) == (0, 0)


def test_backlog_does_nothing_before_the_first_run(airline_tweets):
    store_cases(airline_tweets, [0, 1, 2])

    result = theme_assign_backlog(older_than=timedelta(minutes=5))

    assert (result.assigned, result.unassigned, CaseTheme.objects.count()) == (0, 0, 0)
