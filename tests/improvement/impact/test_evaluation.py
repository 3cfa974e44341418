from __future__ import annotations

import datetime

import pytest

from improvement.impact.services.evaluation import (
    ImpactUnavailable,
    fix_impact_evaluate,
    fix_impact_evaluate_all_shipped,
    fix_regression_check,
    fix_theme_ids,
)
from improvement.models import FixImpact, FixTicket, ImprovementIssue, IssueEvent
from tests.factories import DepartmentFactory, DepartmentOwnerFactory
from tests.improvement.impact_data import PRE_DAYS, SHIP_DATE, levels, volume_rows_create
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logistics(db):
    return DepartmentFactory(name="Logistics", owners=[DepartmentOwnerFactory(username="owner-logistics")])


def shipped_fix(*, theme, logistics, raised_by=None, status=FixTicket.Status.SHIPPED) -> FixTicket:
    issue = IssueFactory(themes=[theme], raised_by=raised_by, status=ImprovementIssue.Status.FIX_SHIPPED)
    return FixFactory(issue=issue, department=logistics, status=status, shipped_on=SHIP_DATE)


def test_a_forty_percent_drop_at_the_ship_date_is_stored_as_working_and_verifies_the_issue(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (35, 24.0)))
    fix = shipped_fix(theme=theme, logistics=logistics)

    impact = fix_impact_evaluate(fix=fix)

    fix.refresh_from_db()
    fix.issue.refresh_from_db()
    assert (impact.verdict, impact.is_provisional, impact.post_days_observed) == ("working", False, 28)
    assert -0.47 < impact.relative_effect < -0.33
    assert impact.ci_low < impact.relative_effect < impact.ci_high < 0
    assert impact.p_value < 0.01
    assert (fix.status, fix.issue.status) == ("working", "verified")
    assert fix.verdict_note.startswith("Contacts on the theme -")
    assert impact.dates[0] == SHIP_DATE.isoformat() and len(impact.dates) == len(impact.actual) == 28
    assert len(impact.counterfactual) == len(impact.low) == len(impact.high) == 28
    day_before = SHIP_DATE - datetime.timedelta(days=1)
    assert (len(impact.pre_dates), impact.pre_dates[-1]) == (PRE_DAYS, day_before.isoformat())
    assert impact.actual_total == sum(impact.actual)
    assert impact.contacts_avoided > 0


def test_a_theme_without_change_is_stored_as_no_clear_effect(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (35, 40.0)), seed=11)
    fix = shipped_fix(theme=theme, logistics=logistics)

    impact = fix_impact_evaluate(fix=fix)

    fix.refresh_from_db()
    fix.issue.refresh_from_db()
    assert impact.verdict == "no_clear_effect"
    assert impact.ci_low < 0 < impact.ci_high
    assert (fix.status, fix.issue.status) == ("no_clear_effect", "fix_shipped")


def test_a_provisional_result_is_stored_but_leaves_the_fix_shipped(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (10, 24.0)))
    fix = shipped_fix(theme=theme, logistics=logistics)

    impact = fix_impact_evaluate(fix=fix)

    fix.refresh_from_db()
    assert (impact.is_provisional, impact.post_days_observed, len(impact.dates)) == (True, 10, 10)
    assert fix.status == "shipped"
    assert not IssueEvent.objects.filter(fix=fix, kind=IssueEvent.Kind.FIX_STATUS).exists()


def test_evaluating_twice_keeps_one_row_and_one_verdict(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (35, 24.0)))
    fix = shipped_fix(theme=theme, logistics=logistics)

    fix_impact_evaluate(fix=fix)
    fix.refresh_from_db()
    fix_impact_evaluate(fix=fix)

    assert FixImpact.objects.filter(fix=fix).count() == 1
    assert IssueEvent.objects.filter(fix=fix, to_status="working").count() == 1


def test_an_unshipped_fix_cannot_be_measured(logistics):
    fix = FixFactory(department=logistics, status=FixTicket.Status.IN_PROGRESS)

    with pytest.raises(ImpactUnavailable, match="is in progress, not shipped"):
        fix_impact_evaluate(fix=fix)
    assert not FixImpact.objects.exists()


def test_a_fix_shipped_after_the_last_counted_day_cannot_be_measured(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS - 5, 40.0)))
    fix = shipped_fix(theme=theme, logistics=logistics)

    with pytest.raises(ImpactUnavailable, match="no contacts counted on or after the ship date 2025-09-30"):
        fix_impact_evaluate(fix=fix)


def test_merged_themes_are_measured_through_their_survivor(logistics):
    survivor = ThemeFactory()
    merged = ThemeFactory(status="merged", merged_into=survivor)
    fix = shipped_fix(theme=merged, logistics=logistics)

    assert fix_theme_ids(fix=fix) == [survivor.pk]


def test_a_working_fix_whose_theme_climbs_back_regresses_reopens_the_issue_and_emails_lead_and_owner(
    logistics, team_lead, mailoutbox, django_capture_on_commit_callbacks
):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (30, 24.0), (28, 40.0)))
    fix = shipped_fix(theme=theme, logistics=logistics, raised_by=team_lead)
    fix_impact_evaluate(fix=fix)
    fix.refresh_from_db()
    assert fix.status == "working"

    with django_capture_on_commit_callbacks(execute=True):
        check = fix_regression_check(fix=fix)

    fix.refresh_from_db()
    fix.issue.refresh_from_db()
    impact = FixImpact.objects.get(fix=fix)
    assert (check.is_checked, check.is_regressed) == (True, True)
    assert (fix.status, fix.issue.status) == ("regressed", "reopened")
    assert impact.recent_ci_high >= 0
    assert impact.recent_relative_effect >= impact.relative_effect / 2
    assert (impact.recent_start, impact.recent_end) == (
        SHIP_DATE + datetime.timedelta(days=30),
        SHIP_DATE + datetime.timedelta(days=57),
    )
    assert sorted(message.to[0] for message in mailoutbox) == ["lead-user@example.com", "owner-logistics@example.com"]
    assert mailoutbox[0].subject == f"[Fixloop] Fix regressed by Logistics: {fix.issue.title}"
    assert "climbed back" in mailoutbox[0].body and f"Issue #{fix.issue.pk} is reopened." in mailoutbox[0].body


def test_a_working_fix_that_stays_down_does_not_regress(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (58, 24.0)))
    fix = shipped_fix(theme=theme, logistics=logistics)
    fix_impact_evaluate(fix=fix)
    fix.refresh_from_db()

    check = fix_regression_check(fix=fix)

    fix.refresh_from_db()
    assert (check.is_checked, check.is_regressed, fix.status) == (True, False, "working")
    assert FixImpact.objects.get(fix=fix).recent_ci_high < 0


def test_the_regression_check_waits_until_the_recent_window_is_past_the_verdict_window(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (40, 24.0)))
    fix = shipped_fix(theme=theme, logistics=logistics)
    fix_impact_evaluate(fix=fix)
    fix.refresh_from_db()

    check = fix_regression_check(fix=fix)

    assert (check.is_checked, check.reason) == (False, "the recent window still overlaps the verdict's window")


def test_the_daily_job_records_verdicts_and_regressions_and_skips_unmeasurable_fixes(logistics):
    dropped, unchanged, back = ThemeFactory(), ThemeFactory(), ThemeFactory()
    # seed 11: seed 1 drew a chance 7% bump in the dropped theme's last pre weeks that three of four placebos "found"
    # under the ridge trend prior (the bench measures the placebo rate; this test is about recording verdicts).
    volume_rows_create(theme=dropped, theme_levels=levels((PRE_DAYS, 40.0), (58, 24.0)), seed=11)
    volume_rows_create(theme=unchanged, theme_levels=levels((PRE_DAYS, 40.0), (58, 40.0)), seed=2)
    volume_rows_create(theme=back, theme_levels=levels((PRE_DAYS, 40.0), (30, 24.0), (28, 40.0)), seed=3)
    fixes = [shipped_fix(theme=theme, logistics=logistics) for theme in (dropped, unchanged, back)]
    unmeasurable = FixFactory(department=logistics, status=FixTicket.Status.SHIPPED, shipped_on=SHIP_DATE)

    result = fix_impact_evaluate_all_shipped()

    statuses = [FixTicket.objects.get(pk=fix.pk).status for fix in fixes]
    assert statuses == ["working", "no_clear_effect", "regressed"]
    assert (result.evaluated, result.verdicts, result.regressed, result.unavailable) == (3, 3, 1, 1)
    assert FixTicket.objects.get(pk=unmeasurable.pk).status == "shipped"
