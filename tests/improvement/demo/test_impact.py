from __future__ import annotations

import datetime
import itertools

import pytest

from cases.models import Case
from cases.services.ingest import case_ingest_many
from cases.simulation import CONTROL_PROBLEM, FIXED_PROBLEM, fix_date, simulate_contacts
from dashboards.selectors.fixes import department_scorecard
from improvement.demo.seeding import demo_problem_themes, demo_seed_impact, demo_seed_people
from improvement.models import CaseTheme, FixImpact, FixTicket, IssueEvent
from tests.improvement.workflow_factories import ThemeFactory

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 3, 31)


@pytest.fixture
def simulated_themes(db):
    """A small simulated stream with one theme per problem, as clustering would find them (plus a mixed one)."""
    contacts = simulate_contacts(total=8000, end=END)
    while batch := [contact.as_row() for contact in itertools.islice(contacts, 1000)]:
        case_ingest_many(rows=batch, embed=False)
    themes = {}
    for case_id, problem in Case.objects.values_list("id", "raw_payload__problem"):
        theme = themes.setdefault(problem, ThemeFactory(label=problem))
        CaseTheme.objects.create(case_id=case_id, theme=theme, source=CaseTheme.Source.FIT)
    return themes


def test_demo_problem_themes_finds_the_theme_made_mostly_of_one_problem(simulated_themes):
    assert demo_problem_themes(problem=FIXED_PROBLEM) == [simulated_themes[FIXED_PROBLEM]]


def test_demo_problem_themes_finds_a_theme_shared_with_another_problem_that_holds_most_of_its_cases(db):
    # As clustering did on one CPU: "parcel marked delivered" merged with "parcel late", the other problem the
    # larger part; a few of its cases scattered into a theme that is mostly something else.
    merged, other = ThemeFactory(label="parcel"), ThemeFactory(label="stock")
    contacts = simulate_contacts(total=4000, end=END)
    case_ingest_many(rows=[contact.as_row() for contact in contacts], embed=False)
    ours = list(Case.objects.filter(raw_payload__problem=FIXED_PROBLEM).values_list("id", flat=True))
    theirs = list(Case.objects.exclude(raw_payload__problem=FIXED_PROBLEM).values_list("id", flat=True))
    links = [(case_id, merged) for case_id in ours[10:]] + [(case_id, other) for case_id in ours[:10]]
    links += [(case_id, merged) for case_id in theirs[: len(ours) + 50]]
    links += [(case_id, other) for case_id in theirs[len(ours) + 50 :]]
    CaseTheme.objects.bulk_create(
        CaseTheme(case_id=case_id, theme=theme, source=CaseTheme.Source.FIT) for case_id, theme in links
    )

    assert demo_problem_themes(problem=FIXED_PROBLEM) == [merged]


def test_demo_impact_ships_the_simulated_fixes_and_measures_working_and_no_clear_effect(
    simulated_themes, mailoutbox, django_capture_on_commit_callbacks
):
    demo_seed_people()

    with django_capture_on_commit_callbacks(execute=True):
        result = demo_seed_impact()

    fixed = FixTicket.objects.get(issue__themes=simulated_themes[FIXED_PROBLEM])
    control = FixTicket.objects.get(issue__themes=simulated_themes[CONTROL_PROBLEM])
    assert (result.fixes, result.message) == (2, "Seeded and measured 2 demo fixes.")
    assert (fixed.status, fixed.issue.status, fixed.department.name) == ("working", "verified", "Logistics")
    assert (control.status, control.issue.status, control.department.name) == (
        "no_clear_effect",
        "fix_shipped",
        "Billing",
    )
    assert fixed.shipped_on == control.shipped_on == fix_date(end=END)
    assert FixImpact.objects.get(fix=fixed).ci_high < 0
    assert not IssueEvent.objects.filter(notified_at__isnull=True).exists()
    assert mailoutbox == []


def test_demo_impact_dates_each_step_before_the_ship_day_so_the_scorecard_reads_real_days(simulated_themes):
    demo_seed_people()

    demo_seed_impact()

    noon = datetime.datetime.combine(fix_date(end=END), datetime.time(12), tzinfo=datetime.UTC)
    for fix in FixTicket.objects.select_related("issue"):
        reached = dict(fix.events.filter(kind=IssueEvent.Kind.FIX_STATUS).values_list("to_status", "created_at"))
        assert fix.issue.created_at == noon - datetime.timedelta(days=21)
        assert fix.created_at == noon - datetime.timedelta(days=20)
        assert (reached["accepted"], reached["in_progress"], reached["shipped"]) == (
            noon - datetime.timedelta(days=16),
            noon - datetime.timedelta(days=14),
            noon,
        )
    rows = {row["department"]: row for row in department_scorecard(fixes=list(FixTicket.objects.all()))}
    for department in ("Logistics", "Billing"):
        assert (rows[department]["median_days_raise_to_accept"], rows[department]["median_days_accept_to_ship"]) == (
            5.0,
            16.0,
        )


def test_demo_impact_run_twice_seeds_once(simulated_themes):
    demo_seed_people()
    demo_seed_impact()

    second = demo_seed_impact()

    assert (second.fixes, FixTicket.objects.count()) == (0, 2)
