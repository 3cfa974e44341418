from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from improvement.errors import TransitionNotAllowed
from improvement.models import FixTicket, ImprovementIssue
from improvement.workflow.services.fixes import (
    fix_accept,
    fix_propose,
    fix_record_verdict,
    fix_reject,
    fix_ship,
    fix_start,
)
from improvement.workflow.transitions import FIX_TRANSITIONS, Performer, fix_next_statuses
from tests.factories import DepartmentFactory, DepartmentOwnerFactory
from tests.improvement.workflow_factories import FixFactory, IssueFactory, event_rows

pytestmark = pytest.mark.django_db

Fix = FixTicket.Status
Issue = ImprovementIssue.Status
SHIPPED_ON = datetime.date(2026, 2, 10)


@pytest.fixture
def logistics_owner(db):
    return DepartmentOwnerFactory(username="owner-logistics")


@pytest.fixture
def logistics(logistics_owner):
    return DepartmentFactory(name="Logistics", owners=[logistics_owner])


def test_the_transition_table_is_the_documented_lifecycle():
    assert {(frm.value, to.value): who.value for (frm, to), who in FIX_TRANSITIONS.items()} == {
        ("proposed", "accepted"): "department_owner",
        ("proposed", "rejected"): "department_owner",
        ("proposed", "withdrawn"): "lead",
        ("proposed", "cancelled"): "lead",
        ("accepted", "in_progress"): "department_owner",
        ("accepted", "cancelled"): "lead",
        ("in_progress", "shipped"): "department_owner",
        ("in_progress", "cancelled"): "lead",
        ("shipped", "working"): "system",
        ("shipped", "no_clear_effect"): "system",
        ("shipped", "worse"): "system",
        ("working", "regressed"): "system",
        ("no_clear_effect", "working"): "system",
        ("no_clear_effect", "worse"): "system",
    }
    assert fix_next_statuses(status=Fix.PROPOSED, performer=Performer.DEPARTMENT_OWNER) == ["accepted", "rejected"]
    assert fix_next_statuses(status=Fix.PROPOSED, performer=Performer.LEAD) == ["withdrawn"]
    assert fix_next_statuses(status=Fix.PROPOSED, performer=Performer.DEPARTMENT_OWNER, issue_status="closed") == []


def test_fix_moves_through_its_whole_lifecycle_and_the_issue_follows(team_lead, logistics, logistics_owner):
    issue = IssueFactory(raised_by=team_lead)

    fix = fix_propose(issue=issue, department=logistics, description="Photo on delivery", by=team_lead)
    fix = fix_accept(fix=fix, by=logistics_owner, note="good idea")
    fix = fix_start(fix=fix, by=logistics_owner)
    fix = fix_ship(fix=fix, by=logistics_owner, shipped_on=SHIPPED_ON)
    fix = fix_record_verdict(fix=fix, verdict=Fix.WORKING, note="-40% contacts")
    fix = fix_record_verdict(fix=fix, verdict=Fix.REGRESSED, note="back up")

    issue.refresh_from_db()
    assert (fix.status, fix.shipped_on, fix.verdict_note, issue.status) == (
        "regressed",
        SHIPPED_ON,
        "back up",
        "reopened",
    )
    assert event_rows(issue) == [
        ("fix_proposed", fix.pk, "lead-user", "", "proposed", "to Logistics"),
        ("fix_status", fix.pk, "owner-logistics", "proposed", "accepted", "good idea"),
        ("issue_status", None, None, "open", "in_progress", "follows its fixes"),
        ("fix_status", fix.pk, "owner-logistics", "accepted", "in_progress", ""),
        ("fix_status", fix.pk, "owner-logistics", "in_progress", "shipped", ""),
        ("issue_status", None, None, "in_progress", "fix_shipped", "follows its fixes"),
        ("fix_status", fix.pk, None, "shipped", "working", "-40% contacts"),
        ("issue_status", None, None, "fix_shipped", "verified", "follows its fixes"),
        ("fix_status", fix.pk, None, "working", "regressed", "back up"),
        ("issue_status", None, None, "verified", "reopened", "follows its fixes"),
    ]


def test_fix_reject_stores_the_reason(logistics, logistics_owner):
    fix = FixFactory(department=logistics)

    fix = fix_reject(fix=fix, by=logistics_owner, reason=" not our process ")

    assert (fix.status, fix.rejection_reason) == ("rejected", "not our process")


def test_fix_reject_without_a_reason_is_refused_and_nothing_changes(logistics, logistics_owner):
    fix = FixFactory(department=logistics)

    with pytest.raises(ValidationError, match="a reason is required"):
        fix_reject(fix=fix, by=logistics_owner, reason="  ")

    fix.refresh_from_db()
    assert fix.status == "proposed"
    assert event_rows(fix.issue) == []


@pytest.mark.parametrize(
    ("status", "service", "arguments"),
    [
        (Fix.ACCEPTED, fix_accept, {}),
        (Fix.SHIPPED, fix_reject, {"reason": "no"}),
        (Fix.PROPOSED, fix_start, {}),
        (Fix.ACCEPTED, fix_ship, {"shipped_on": SHIPPED_ON}),
        (Fix.REJECTED, fix_start, {}),
    ],
)
def test_a_transition_missing_from_the_table_is_refused(logistics, logistics_owner, status, service, arguments):
    fix = FixFactory(department=logistics, status=status)

    with pytest.raises(TransitionNotAllowed, match="a fix cannot go from"):
        service(fix=fix, by=logistics_owner, **arguments)

    fix.refresh_from_db()
    assert fix.status == status


def test_a_verdict_is_recorded_only_after_shipping_and_regressed_only_after_working(logistics):
    with pytest.raises(TransitionNotAllowed, match="a fix cannot go from proposed to working"):
        fix_record_verdict(fix=FixFactory(department=logistics), verdict=Fix.WORKING)
    with pytest.raises(TransitionNotAllowed, match="a fix cannot go from shipped to regressed"):
        fix_record_verdict(fix=FixFactory(department=logistics, status=Fix.SHIPPED), verdict=Fix.REGRESSED)
    with pytest.raises(ValidationError, match="unknown verdict 'accepted'"):
        fix_record_verdict(fix=FixFactory(department=logistics, status=Fix.SHIPPED), verdict=Fix.ACCEPTED)


@pytest.mark.parametrize("verdict", [Fix.WORKING, Fix.NO_CLEAR_EFFECT, Fix.WORSE])
def test_the_system_records_a_verdict_on_a_shipped_fix(logistics, verdict):
    fix = FixFactory(department=logistics, status=Fix.SHIPPED)

    fix = fix_record_verdict(fix=fix, verdict=verdict, note="measured")

    assert fix.status == verdict
    assert event_rows(fix.issue)[0] == ("fix_status", fix.pk, None, "shipped", verdict.value, "measured")


def test_owner_of_another_department_is_refused(logistics):
    billing_owner = DepartmentOwnerFactory(username="owner-billing")
    DepartmentFactory(name="Billing", owners=[billing_owner])
    fix = FixFactory(department=logistics)

    with pytest.raises(PermissionDenied, match="only owners of Logistics may accept this fix"):
        fix_accept(fix=fix, by=billing_owner)


def test_a_wrong_role_is_refused_before_the_transition_is_checked(logistics, executive):
    fix = FixFactory(department=logistics, status=Fix.SHIPPED)

    with pytest.raises(PermissionDenied):
        fix_accept(fix=fix, by=executive)


def test_fix_propose_refuses_an_owner_and_a_closed_issue(logistics, logistics_owner, team_lead):
    with pytest.raises(PermissionDenied, match="only team leads and admins may propose fixes"):
        fix_propose(issue=IssueFactory(), department=logistics, description="x", by=logistics_owner)
    with pytest.raises(TransitionNotAllowed, match="the issue is closed"):
        fix_propose(issue=IssueFactory(status=Issue.CLOSED), department=logistics, description="x", by=team_lead)

    assert FixTicket.objects.count() == 0


def test_fix_ship_refuses_a_day_in_the_future(logistics, logistics_owner):
    fix = FixFactory(department=logistics, status=Fix.IN_PROGRESS)

    with pytest.raises(ValidationError, match="is in the future"):
        fix_ship(fix=fix, by=logistics_owner, shipped_on=datetime.date.today() + datetime.timedelta(days=2))


def test_fix_ship_reads_the_status_of_the_locked_row_not_the_stale_instance(logistics, logistics_owner):
    fix = FixFactory(department=logistics, status=Fix.IN_PROGRESS)
    stale = FixTicket.objects.get(pk=fix.pk)
    fix_ship(fix=fix, by=logistics_owner, shipped_on=SHIPPED_ON)

    with pytest.raises(TransitionNotAllowed, match="from shipped to shipped"):
        fix_ship(fix=stale, by=logistics_owner, shipped_on=SHIPPED_ON)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accepts_let_exactly_one_through(logistics, logistics_owner):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers anyway)")
    fix = FixFactory(department=logistics)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def accept() -> None:
        try:
            barrier.wait()
            fix_accept(fix=FixTicket.objects.get(pk=fix.pk), by=logistics_owner)
            outcomes.append("accepted")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted", "refused"]
    assert FixTicket.objects.get(pk=fix.pk).events.count() == 1
