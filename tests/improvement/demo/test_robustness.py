"""The whole demo, embedded and clustered for real: one theme per simulated problem, issues on the right themes."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from cases.simulation import CONTROL_PROBLEM, FIXED_PROBLEM, PROBLEMS
from improvement.demo.seeding import (
    DEMO_WORKFLOW_ISSUES,
    demo_cluster_cases,
    demo_curate_themes,
    demo_load_cases,
    demo_seed_impact,
    demo_seed_people,
    demo_seed_workflow,
)
from improvement.models import CaseTheme, FixTicket, ImprovementIssue, Theme

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _majority_problem_by_theme() -> dict[int, str]:
    counts: dict[int, Counter] = {}
    links = CaseTheme.objects.filter(theme__status=Theme.Status.ACTIVE).values("theme_id", "case__raw_payload__problem")
    for row in links.annotate(cases=Count("case_id")):
        counts.setdefault(row["theme_id"], Counter())[row["case__raw_payload__problem"]] = row["cases"]
    return {theme_id: max(sorted(problems), key=problems.__getitem__) for theme_id, problems in counts.items()}


def test_demo_gives_each_problem_one_theme_attaches_issues_by_problem_and_measures_both_fixes():
    demo_seed_people()
    demo_load_cases()
    demo_cluster_cases()
    demo_curate_themes()
    demo_seed_workflow()
    demo_seed_impact()

    majority = _majority_problem_by_theme()
    assert sorted(Counter(majority.values()).items()) == sorted((problem.key, 1) for problem in PROBLEMS)
    for title, _, problem_key, _, _ in DEMO_WORKFLOW_ISSUES:
        theme_ids = list(ImprovementIssue.objects.get(title=title).themes.values_list("id", flat=True))
        assert [majority[theme_id] for theme_id in theme_ids] == [problem_key]
    fixed = FixTicket.objects.get(issue__problem_statement__contains=f"simulated problem {FIXED_PROBLEM}")
    control = FixTicket.objects.get(issue__problem_statement__contains=f"simulated problem {CONTROL_PROBLEM}")
    assert (fixed.status, control.status) == ("working", "no_clear_effect")
