"""Theme lifecycle across refits on real airline tweets: labels stay, merges stay, no active theme is empty."""

from __future__ import annotations

import pytest
from django.db.models import Count

from improvement.models import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.themes.services.curation import theme_merge
from improvement.themes.services.groups import theme_group_create
from improvement.themes.services.runs import clustering_run_execute, clustering_run_request
from tests.improvement.theme_data import store_cases

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _run(django_capture_on_commit_callbacks) -> ClusteringRun:
    """Request a run without letting its task run, then execute it here."""
    with django_capture_on_commit_callbacks(execute=False):
        run = clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND)
    return clustering_run_execute(run_id=run.pk)


def _active_themes_without_cases() -> list[int]:
    return list(
        Theme.objects.filter(status=Theme.Status.ACTIVE)
        .annotate(cases=Count("case_links"))
        .filter(cases=0)
        .values_list("id", flat=True)
    )


def test_refit_after_a_merge_keeps_the_merged_theme_merged_and_makes_no_theme_of_its_cases(
    airline_tweets, team_lead, django_capture_on_commit_callbacks
):
    store_cases(airline_tweets)
    _run(django_capture_on_commit_callbacks)
    survivor, merged = Theme.objects.filter(status=Theme.Status.ACTIVE).order_by("-size", "id")[:2]
    merged_case_ids = set(CaseTheme.objects.filter(theme=merged).values_list("case_id", flat=True))
    theme_merge(theme=merged, into=survivor, by=team_lead)
    active_before = set(Theme.objects.filter(status=Theme.Status.ACTIVE).values_list("id", flat=True))

    second = _run(django_capture_on_commit_callbacks)

    merged.refresh_from_db()
    assert second.status == ClusteringRun.Status.SUCCEEDED
    assert (merged.status, merged.merged_into_id, merged.size) == (Theme.Status.MERGED, survivor.pk, 0)
    assert set(CaseTheme.objects.filter(case_id__in=merged_case_ids).values_list("theme_id", flat=True)) == {
        survivor.pk
    }
    new_themes = Theme.objects.filter(first_run=second)
    assert [theme.pk for theme in new_themes if set(theme.representative_case_ids) & merged_case_ids] == []
    assert set(Theme.objects.filter(status=Theme.Status.ACTIVE).values_list("id", flat=True)) - active_before == set(
        new_themes.values_list("id", flat=True)
    )
    assert _active_themes_without_cases() == []
    assert ThemeEvent.objects.filter(theme=merged, run=second).count() == 0


def test_refit_keeps_every_label_and_every_group_as_the_lead_left_them(
    airline_tweets, team_lead, django_capture_on_commit_callbacks
):
    store_cases(airline_tweets)
    _run(django_capture_on_commit_callbacks)
    first, second, third = Theme.objects.filter(status=Theme.Status.ACTIVE).order_by("-size", "id")[:3]
    Theme.objects.filter(pk=first.pk).update(label="words a lead never chose")
    group = theme_group_create(name="Flights gone wrong", themes=[second, third], by=team_lead)
    labels_before = dict(Theme.objects.values_list("id", "label"))

    run = _run(django_capture_on_commit_callbacks)

    first.refresh_from_db()
    assert run.status == ClusteringRun.Status.SUCCEEDED
    assert {
        theme_id: label for theme_id, label in Theme.objects.values_list("id", "label") if theme_id in labels_before
    } == labels_before
    assert (first.label, first.suggested_label) == ("words a lead never chose", first.model_label)
    assert list(ThemeEvent.objects.filter(run=run, kind=ThemeEvent.Kind.RENAMED)) == []
    assert list(
        ThemeEvent.objects.filter(run=run, kind=ThemeEvent.Kind.LABEL_SUGGESTED).values_list("theme_id", flat=True)
    ) == [first.pk]
    assert sorted(Theme.objects.filter(group=group).values_list("id", flat=True)) == sorted([second.pk, third.pk])
    assert _active_themes_without_cases() == []
