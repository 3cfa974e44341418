from __future__ import annotations

import pytest
from django.utils import timezone

from dashboards.selectors.fixes import department_scorecard
from improvement.demo.seeding import demo_seed_people, demo_seed_workflow
from improvement.models import FixTicket, ImprovementIssue, IssueEvent
from tests.improvement.workflow_factories import ThemeFactory

pytestmark = pytest.mark.django_db


def test_demo_workflow_seeds_issues_and_fixes_in_every_hand_set_state_without_emailing(
    mailoutbox, django_capture_on_commit_callbacks
):
    demo_seed_people()
    for _ in range(3):
        ThemeFactory(size=5)
    largest = ThemeFactory(label="Largest", size=500)

    with django_capture_on_commit_callbacks(execute=True):
        result = demo_seed_workflow()

    assert (result.issues, result.fixes) == (5, 8)
    assert result.message == "Seeded 5 issues and 8 fixes from 4 active themes."
    assert sorted(set(FixTicket.objects.values_list("status", flat=True))) == [
        "accepted",
        "in_progress",
        "proposed",
        "rejected",
        "shipped",
    ]
    assert sorted(ImprovementIssue.objects.values_list("status", flat=True)) == [
        "closed",
        "fix_shipped",
        "in_progress",
        "in_progress",
        "open",
    ]
    assert ImprovementIssue.objects.filter(themes=largest).count() == 2
    assert not IssueEvent.objects.filter(notified_at__isnull=True).exists()
    assert mailoutbox == []


def test_demo_workflow_without_active_themes_creates_nothing_and_says_so():
    demo_seed_people()
    ThemeFactory(status="dormant")

    result = demo_seed_workflow()

    assert (result.issues, result.fixes, ImprovementIssue.objects.count()) == (0, 0, 0)
    assert result.message == "No active themes yet: no issues or fixes seeded (cluster the cases first)."


def test_demo_workflow_run_twice_seeds_once():
    demo_seed_people()
    ThemeFactory()
    demo_seed_workflow()

    second = demo_seed_workflow()

    assert (second.issues, ImprovementIssue.objects.count()) == (0, 5)
    assert second.message == "Issues exist already: no demo issues or fixes seeded."


def fix_reached(fix: FixTicket, status: str):
    """When the fix's audit trail first shows it reaching the status."""
    return fix.events.filter(kind=IssueEvent.Kind.FIX_STATUS, to_status=status).earliest("created_at").created_at


def test_demo_workflow_history_reads_raised_then_proposed_then_accepted_then_shipped_all_in_the_past():
    demo_seed_people()
    ThemeFactory(size=5)
    before = timezone.now()

    demo_seed_workflow()

    fixes = list(FixTicket.objects.select_related("issue").order_by("id"))
    assert len(fixes) == 8
    for fix in fixes:
        raised = fix.issue.created_at
        assert fix.issue.events.get(kind=IssueEvent.Kind.ISSUE_RAISED).created_at == raised
        assert raised < fix.created_at == fix.events.get(kind=IssueEvent.Kind.FIX_PROPOSED).created_at < before
        if fix.status in ("accepted", "in_progress", "shipped"):
            assert fix.created_at < fix_reached(fix, "accepted") < before
        if fix.status in ("in_progress", "shipped"):
            assert fix_reached(fix, "accepted") < fix_reached(fix, "in_progress")
        if fix.status == "shipped":
            assert fix_reached(fix, "in_progress") < fix_reached(fix, "shipped")
            assert timezone.localdate(fix_reached(fix, "accepted")) < fix.shipped_on < timezone.localdate(before)
            assert timezone.localdate(fix_reached(fix, "shipped")) == fix.shipped_on
    closed = ImprovementIssue.objects.get(status="closed")
    assert closed.created_at < closed.closed_at < before
    assert closed.events.filter(kind=IssueEvent.Kind.ISSUE_STATUS, to_status="closed").get().created_at == (
        closed.closed_at
    )


def test_demo_workflow_gives_the_department_scorecard_real_median_days():
    demo_seed_people()
    ThemeFactory(size=5)

    demo_seed_workflow()

    scorecard = department_scorecard(fixes=list(FixTicket.objects.all()))
    assert [
        (row["department"], row["median_days_raise_to_accept"], row["median_days_accept_to_ship"]) for row in scorecard
    ] == [
        ("Billing", 4.0, None),
        ("Customer Care", None, None),
        ("Digital", 5.0, 26.0),
        ("Logistics", None, None),
        ("Stores", 7.0, None),
    ]
