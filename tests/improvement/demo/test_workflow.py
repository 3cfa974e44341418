from __future__ import annotations

import pytest

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
