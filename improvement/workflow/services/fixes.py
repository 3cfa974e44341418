"""Writes for fix tickets: one service per transition of the table in improvement.workflow.transitions."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from core.jobs import enqueue_on_commit
from improvement.errors import Invalid, TransitionNotAllowed
from improvement.models import Department, FixTicket, ImprovementIssue, IssueEvent
from improvement.permissions import permission_require, user_can_write_issues, user_owns_fix_department
from improvement.workflow.services.issues import issue_status_refresh
from improvement.workflow.services.notifying import issue_event_notify_on_commit
from improvement.workflow.transitions import VERDICTS, Performer, fix_edit_check, fix_transition_check

Status = FixTicket.Status

# Statuses whose audit event notifies someone (see improvement.workflow.notifications).
NOTIFIED_STATUSES = (
    Status.PROPOSED,
    Status.ACCEPTED,
    Status.REJECTED,
    Status.SHIPPED,
    Status.REGRESSED,
    Status.WITHDRAWN,
    Status.CANCELLED,
)
EDITABLE_FIX_FIELDS = ("description", "due_date", "external_reference")


def _notify_on_commit(event: IssueEvent) -> None:
    issue_event_notify_on_commit(event)


def _due_date_check(due_date: datetime.date | None) -> None:
    if due_date is not None and due_date < timezone.localdate():
        raise Invalid({"due_date": f"{due_date.isoformat()} is in the past; a fix is due today or later"})


def fix_propose(
    *,
    issue: ImprovementIssue,
    department: Department,
    description: str,
    by: User,
    due_date: datetime.date | None = None,
    external_reference: str = "",
) -> FixTicket:
    """Propose a fix to a department (team leads and admins); its owners are emailed once committed."""
    permission_require(user_can_write_issues(by), "only team leads and admins may propose fixes")
    _due_date_check(due_date)
    fix = FixTicket(
        issue=issue,
        department=department,
        description=description.strip(),
        due_date=due_date,
        external_reference=external_reference.strip(),
        status=Status.PROPOSED,
        proposed_by=by,
    )
    fix.full_clean()
    with transaction.atomic():
        issue = ImprovementIssue.objects.select_for_update().get(pk=issue.pk)
        if issue.status == ImprovementIssue.Status.CLOSED:
            raise TransitionNotAllowed("the issue is closed; no more fixes can be proposed")
        fix.issue = issue
        fix.save()
        event = IssueEvent.objects.create(
            issue=issue,
            fix=fix,
            kind=IssueEvent.Kind.FIX_PROPOSED,
            actor=by,
            to_status=fix.status,
            note=f"to {department.name}",
        )
        issue_status_refresh(issue=issue)
        _notify_on_commit(event)
    return fix


def _fix_transition(
    *,
    fix: FixTicket,
    to_status: str,
    by: User | None,
    performer: Performer,
    note: str = "",
    changes: dict | None = None,
) -> FixTicket:
    """Move the fix, locked, through one allowed transition: audit it, refresh the issue, notify once committed."""
    with transaction.atomic():
        # Lock order issue → fix everywhere, so two transitions on one issue's fixes serialise.
        issue = ImprovementIssue.objects.select_for_update().get(pk=fix.issue_id)
        locked = FixTicket.objects.select_for_update().select_related("department").get(pk=fix.pk)
        fix_transition_check(
            from_status=locked.status, to_status=to_status, performer=performer, issue_status=issue.status
        )
        previous = locked.status
        locked.status = to_status
        for field, value in (changes or {}).items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.save()
        event = IssueEvent.objects.create(
            issue=issue,
            fix=locked,
            kind=IssueEvent.Kind.FIX_STATUS,
            actor=by,
            from_status=previous,
            to_status=to_status,
            note=note,
        )
        issue_status_refresh(issue=issue)
        if to_status in NOTIFIED_STATUSES:
            _notify_on_commit(event)
    return locked


def _require_owner(*, fix: FixTicket, by: User, action: str) -> None:
    permission_require(
        user_owns_fix_department(user=by, fix=fix), f"only owners of {fix.department.name} may {action} this fix"
    )


def fix_accept(*, fix: FixTicket, by: User, note: str = "") -> FixTicket:
    """An owner of the fix's department accepts the proposal."""
    _require_owner(fix=fix, by=by, action="accept")
    return _fix_transition(
        fix=fix, to_status=Status.ACCEPTED, by=by, performer=Performer.DEPARTMENT_OWNER, note=note.strip()
    )


def fix_reject(*, fix: FixTicket, by: User, reason: str) -> FixTicket:
    """An owner of the fix's department rejects the proposal, giving a reason (required)."""
    _require_owner(fix=fix, by=by, action="reject")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": "a reason is required to reject a fix"})
    return _fix_transition(
        fix=fix,
        to_status=Status.REJECTED,
        by=by,
        performer=Performer.DEPARTMENT_OWNER,
        note=reason,
        changes={"rejection_reason": reason},
    )


def fix_start(*, fix: FixTicket, by: User, note: str = "") -> FixTicket:
    """An owner of the fix's department starts work on an accepted fix."""
    _require_owner(fix=fix, by=by, action="start")
    return _fix_transition(
        fix=fix, to_status=Status.IN_PROGRESS, by=by, performer=Performer.DEPARTMENT_OWNER, note=note.strip()
    )


def fix_ship(*, fix: FixTicket, by: User, shipped_on: datetime.date | None, note: str = "") -> FixTicket:
    """An owner of the fix's department records the day the fix shipped (not in the future)."""
    _require_owner(fix=fix, by=by, action="ship")
    if not isinstance(shipped_on, datetime.date):
        raise Invalid({"shipped_on": "the day the fix shipped is required (YYYY-MM-DD)"})
    if shipped_on > timezone.localdate():
        raise Invalid({"shipped_on": f"{shipped_on.isoformat()} is in the future"})
    fix = _fix_transition(
        fix=fix,
        to_status=Status.SHIPPED,
        by=by,
        performer=Performer.DEPARTMENT_OWNER,
        note=note.strip(),
        changes={"shipped_on": shipped_on},
    )
    _evaluate_impact_on_commit(fix)
    return fix


def fix_withdraw(*, fix: FixTicket, by: User, reason: str = "") -> FixTicket:
    """A team lead (or admin) withdraws a proposal no department has decided on; its owners are notified."""
    permission_require(user_can_write_issues(by), "only team leads and admins may withdraw a proposed fix")
    reason = (reason or "").strip()
    return _fix_transition(
        fix=fix,
        to_status=Status.WITHDRAWN,
        by=by,
        performer=Performer.LEAD,
        note=reason,
        changes={"withdrawal_reason": reason},
    )


def fix_edit(*, fix: FixTicket, by: User, **changes: object) -> FixTicket:
    """A team lead (or admin) edits a proposal's description, due date or external reference; audited.

    Only a proposed fix on an issue that is not closed may be edited (improvement.workflow.transitions). A new
    due date must not be in the past; an unchanged one that has passed since is kept (the form sends it back).
    """
    permission_require(user_can_write_issues(by), "only team leads and admins may edit a proposed fix")
    unknown = sorted(set(changes) - set(EDITABLE_FIX_FIELDS))
    if unknown:
        raise Invalid({field: "this field cannot be edited" for field in unknown})
    if "description" in changes and not str(changes["description"] or "").strip():
        raise Invalid({"description": "a fix needs a description"})
    if "due_date" in changes and changes["due_date"] != fix.due_date:
        _due_date_check(changes["due_date"])  # type: ignore[arg-type]  # a date or None from the serializer/form
    with transaction.atomic():
        issue = ImprovementIssue.objects.select_for_update().get(pk=fix.issue_id)
        locked = FixTicket.objects.select_for_update().select_related("department").get(pk=fix.pk)
        fix_edit_check(status=locked.status, issue_status=issue.status)
        changed = []
        for field, value in changes.items():
            if isinstance(value, str):
                value = value.strip()
            if getattr(locked, field) != value:
                changed.append(field)
                setattr(locked, field, value)
        if not changed:
            return locked
        locked.full_clean()
        locked.save()
        IssueEvent.objects.create(
            issue=issue,
            fix=locked,
            kind=IssueEvent.Kind.FIX_EDITED,
            actor=by,
            from_status=locked.status,
            to_status=locked.status,
            note=", ".join(changed),
        )
    return locked


def _evaluate_impact_on_commit(fix: FixTicket) -> None:
    enqueue_on_commit("improvement.impact_evaluate_fix_task", fix.pk)


def fix_record_verdict(*, fix: FixTicket, verdict: str, note: str = "") -> FixTicket:
    """The system (impact evaluation) records a shipped fix's effect: working, no clear effect, worse, regressed."""
    if verdict not in VERDICTS:
        raise Invalid({"verdict": f"unknown verdict {str(verdict)!r}; expected one of {', '.join(VERDICTS)}"})
    return _fix_transition(
        fix=fix,
        to_status=verdict,
        by=None,
        performer=Performer.SYSTEM,
        note=note.strip(),
        changes={"verdict_note": note.strip()},
    )
