from __future__ import annotations

from datetime import timedelta

import pytest

from cases.models import Case
from improvement.models import ImprovementIssue
from improvement.volumes.services import daily_volumes_refresh
from improvement.workflow.selectors import (
    fix_list_visible,
    issue_events_visible,
    issue_list_visible,
    priority_suggest,
    theme_evidence,
    theme_open_issue_workarounds,
)
from tests.factories import DepartmentFactory, DepartmentOwnerFactory, TeamLeadFactory, UserFactory
from tests.improvement.workflow_factories import (
    WINDOW_END,
    FixFactory,
    IssueFactory,
    ThemeFactory,
    cases_for_theme,
)

pytestmark = pytest.mark.django_db

Priority = ImprovementIssue.Priority


def days_before_end(*days: float):
    return [WINDOW_END - timedelta(days=day) for day in days]


def test_theme_evidence_counts_28_day_volume_and_share_and_the_7_day_trend():
    theme = ThemeFactory()
    recent = cases_for_theme(theme=theme, received=days_before_end(0, 3, 10, 27.5))
    cases_for_theme(theme=theme, received=days_before_end(30))  # the 28 days before
    cases_for_theme(theme=theme, received=days_before_end(60))  # older, ignored
    cases_for_theme(theme=ThemeFactory(), received=days_before_end(1, 2))
    cases_for_theme(theme=None, received=days_before_end(5))
    theme.representative_case_ids = [case.pk for case in recent]
    theme.save()
    daily_volumes_refresh()

    evidence = theme_evidence(themes=[theme], window_end=WINDOW_END.date())

    assert {key: value for key, value in evidence.items() if key != "sample_cases"} == {
        "theme_ids": [theme.pk],
        "window_days": 28,
        "window_end": "2026-03-01",
        "volume": 4,
        "previous_volume": 1,
        "total_volume": 7,
        "share": 0.5714,
        "last_7_days": 2,
        "previous_7_days": 1,
        "trend_percent": 100.0,
        "trend_window": "last 7 days vs the 7 before",
        "strongly_negative_share": None,
    }
    assert [sample["id"] for sample in evidence["sample_cases"]] == [case.pk for case in recent]


def test_theme_evidence_window_ends_on_the_last_counted_day_by_default():
    theme = ThemeFactory()
    cases_for_theme(theme=theme, received=days_before_end(0, 40))
    daily_volumes_refresh()

    evidence = theme_evidence(themes=[theme])

    assert evidence["window_end"] == "2026-03-01"
    assert (evidence["volume"], evidence["previous_volume"], evidence["trend_percent"]) == (1, 1, None)


def test_theme_evidence_without_cases_is_zero_with_no_trend():
    evidence = theme_evidence(themes=[ThemeFactory()], window_end=WINDOW_END.date())

    assert (evidence["volume"], evidence["share"], evidence["trend_percent"], evidence["sample_cases"]) == (
        0,
        0.0,
        None,
        [],
    )


@pytest.mark.parametrize(
    ("share", "trend", "volume", "expected"),
    [
        (0.12, 30.0, 120, Priority.CRITICAL),
        (0.12, 10.0, 120, Priority.HIGH),
        (0.06, None, 60, Priority.HIGH),
        (0.02, 80.0, 25, Priority.HIGH),
        (0.02, 80.0, 10, Priority.MEDIUM),
        (0.01, -20.0, 10, Priority.MEDIUM),
        (0.06, -10.0, 60, Priority.MEDIUM),
        (0.30, -50.0, 300, Priority.MEDIUM),
        (0.06, -9.9, 60, Priority.HIGH),
        (0.005, -50.0, 5, Priority.LOW),
        (0.005, None, 5, Priority.LOW),
    ],
)
def test_priority_suggest_rises_with_share_and_trend(share, trend, volume, expected):
    assert priority_suggest(evidence={"share": share, "trend_percent": trend, "volume": volume}) == expected


def test_theme_evidence_gives_the_share_of_scored_cases_that_are_strongly_negative():
    theme = ThemeFactory()
    cases = cases_for_theme(theme=theme, received=days_before_end(1, 2, 3, 4, 5))
    for case, negativity in zip(cases, [0.9, 0.5, 0.4999, 0.0, None], strict=True):
        Case.objects.filter(pk=case.pk).update(negativity=negativity)
    cases_for_theme(theme=ThemeFactory(), received=days_before_end(1))  # another theme's case is not counted

    evidence = theme_evidence(themes=[theme], window_end=WINDOW_END.date())

    # 2 of the 4 scored cases are at or above 0.5; the unscored one counts in neither.
    assert evidence["strongly_negative_share"] == 0.5


@pytest.mark.parametrize(
    ("share", "trend", "negative_share", "expected"),
    [
        (0.005, None, 0.25, Priority.MEDIUM),
        (0.005, None, 0.2499, Priority.LOW),
        (0.02, None, 0.25, Priority.HIGH),
        (0.02, None, None, Priority.MEDIUM),
        (0.02, -10.0, 0.9, Priority.MEDIUM),
        (0.005, -50.0, 0.9, Priority.MEDIUM),
        (0.06, None, 0.9, Priority.HIGH),
        (0.12, 30.0, 0.0, Priority.CRITICAL),
    ],
)
def test_priority_suggest_lifts_an_angry_theme_one_step_but_never_to_critical(share, trend, negative_share, expected):
    evidence = {"share": share, "trend_percent": trend, "volume": 10, "strongly_negative_share": negative_share}
    assert priority_suggest(evidence=evidence) == expected


def test_leads_executives_and_admins_see_every_issue_and_fix(team_lead, executive, staff_admin):
    issues = IssueFactory.create_batch(2)
    fix = FixFactory(issue=issues[0], department=DepartmentFactory())

    for user in (team_lead, executive, staff_admin):
        assert set(issue_list_visible(user=user)) == set(issues)
        assert list(fix_list_visible(user=user)) == [fix]


def test_owner_sees_issues_with_a_fix_for_their_department_and_only_those_fixes():
    owner = DepartmentOwnerFactory(username="owner-logistics")
    logistics = DepartmentFactory(name="Logistics", owners=[owner])
    billing = DepartmentFactory(name="Billing")
    shared_issue, billing_issue, _without_fixes = IssueFactory.create_batch(3)
    own_fix = FixFactory(issue=shared_issue, department=logistics)
    other_fix = FixFactory(issue=shared_issue, department=billing)
    FixFactory(issue=billing_issue, department=billing)

    assert list(issue_list_visible(user=owner)) == [shared_issue]
    assert list(fix_list_visible(user=owner)) == [own_fix]
    assert other_fix not in fix_list_visible(user=owner)


def test_owner_sees_the_issue_events_and_those_of_their_own_fixes_only():
    from improvement.models import IssueEvent

    owner = DepartmentOwnerFactory(username="owner-logistics")
    logistics = DepartmentFactory(name="Logistics", owners=[owner])
    issue = IssueFactory()
    own_fix = FixFactory(issue=issue, department=logistics)
    other_fix = FixFactory(issue=issue, department=DepartmentFactory(name="Billing"))
    raised = IssueEvent.objects.create(issue=issue, kind="issue_raised", to_status="open")
    own = IssueEvent.objects.create(issue=issue, fix=own_fix, kind="fix_proposed", to_status="proposed")
    IssueEvent.objects.create(issue=issue, fix=other_fix, kind="fix_proposed", to_status="proposed")

    assert list(issue_events_visible(issue=issue, user=owner)) == [raised, own]


def test_user_without_a_role_sees_no_issue_and_no_fix():
    FixFactory(department=DepartmentFactory())
    nobody = UserFactory(username="nobody")

    assert list(issue_list_visible(user=nobody)) == []
    assert list(fix_list_visible(user=nobody)) == []


def test_a_falling_theme_with_a_big_share_is_suggested_medium_not_high():
    theme = ThemeFactory()
    cases_for_theme(theme=theme, received=days_before_end(8, 9, 10, 11, 12))  # the week before: 5
    cases_for_theme(theme=theme, received=days_before_end(1))  # the last 7 days: 1

    evidence = theme_evidence(themes=[theme], window_end=WINDOW_END.date())

    assert (evidence["share"], evidence["trend_percent"], evidence["trend_window"]) == (
        1.0,
        -80.0,
        "last 7 days vs the 7 before",
    )
    assert priority_suggest(evidence=evidence) == Priority.MEDIUM


def test_theme_open_issue_workarounds_lists_those_of_issues_not_closed_newest_first():
    theme = ThemeFactory()
    older = IssueFactory(title="Older", themes=[theme], workaround="Offer a refund voucher")
    newer = IssueFactory(title="Newer", themes=[theme], workaround="Re-send the parcel", status="in_progress")
    IssueFactory(title="Closed", themes=[theme], workaround="Old advice", status="closed")
    IssueFactory(title="No workaround", themes=[theme])
    IssueFactory(title="Other theme", workaround="Not this theme's")

    assert theme_open_issue_workarounds(theme_id=theme.pk, user=TeamLeadFactory()) == [
        {"issue": newer.pk, "title": "Newer", "status": "in_progress", "workaround": "Re-send the parcel"},
        {"issue": older.pk, "title": "Older", "status": "open", "workaround": "Offer a refund voucher"},
    ]


def test_theme_open_issue_workarounds_shows_an_owner_only_the_issues_they_may_see():
    theme = ThemeFactory()
    logistics, billing = DepartmentFactory(name="Logistics"), DepartmentFactory(name="Billing")
    parcels = IssueFactory(title="Parcels", themes=[theme], workaround="Re-send the parcel")
    refunds = IssueFactory(title="Refunds", themes=[theme], workaround="Refund by hand")
    FixFactory(issue=parcels, department=logistics)
    FixFactory(issue=refunds, department=billing)
    owner = DepartmentOwnerFactory()
    logistics.owners.add(owner)

    assert [row["title"] for row in theme_open_issue_workarounds(theme_id=theme.pk, user=owner)] == ["Parcels"]
