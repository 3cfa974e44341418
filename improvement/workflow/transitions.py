"""The fix ticket and issue state machines, and the rule that derives an issue's status from its fixes.

One table says which fix transitions exist and who performs each; services in
improvement.workflow.services perform them one by one. Nothing here touches the database.

    proposed ─┬─> accepted ──> in_progress ──> shipped ─┬─> working ──> regressed
              ├─> rejected                              ├─> no_clear_effect ─┬─> working (at day 56)
              └─> withdrawn (a lead)                    └─> worse            └─> worse (at day 56)
    proposed | accepted | in_progress ──> cancelled (the lead closing the issue)

An issue is closed and reopened explicitly by a lead; otherwise its status follows all its fixes
(issue_status_from_fixes). People make no transition on the fixes of a closed issue; the system still records
the measured verdict of a fix that shipped before the issue closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from improvement.errors import TransitionNotAllowed
from improvement.models.issues import FixTicket, ImprovementIssue

Fix = FixTicket.Status
Issue = ImprovementIssue.Status


class Performer(StrEnum):
    """Who performs a transition."""

    DEPARTMENT_OWNER = "department_owner"  # an owner of the fix's department (or a staff admin)
    LEAD = "lead"  # a social team lead (or a staff admin)
    SYSTEM = "system"  # the impact evaluation; recorded with actor None


FIX_TRANSITIONS: dict[tuple[str, str], Performer] = {
    (Fix.PROPOSED, Fix.ACCEPTED): Performer.DEPARTMENT_OWNER,
    (Fix.PROPOSED, Fix.REJECTED): Performer.DEPARTMENT_OWNER,
    (Fix.PROPOSED, Fix.WITHDRAWN): Performer.LEAD,
    (Fix.PROPOSED, Fix.CANCELLED): Performer.LEAD,
    (Fix.ACCEPTED, Fix.IN_PROGRESS): Performer.DEPARTMENT_OWNER,
    (Fix.ACCEPTED, Fix.CANCELLED): Performer.LEAD,
    (Fix.IN_PROGRESS, Fix.SHIPPED): Performer.DEPARTMENT_OWNER,
    (Fix.IN_PROGRESS, Fix.CANCELLED): Performer.LEAD,
    (Fix.SHIPPED, Fix.WORKING): Performer.SYSTEM,
    (Fix.SHIPPED, Fix.NO_CLEAR_EFFECT): Performer.SYSTEM,
    (Fix.SHIPPED, Fix.WORSE): Performer.SYSTEM,
    (Fix.WORKING, Fix.REGRESSED): Performer.SYSTEM,
    # A fix with no clear effect at day 28 is measured on to day 56; its final verdict may find one.
    (Fix.NO_CLEAR_EFFECT, Fix.WORKING): Performer.SYSTEM,
    (Fix.NO_CLEAR_EFFECT, Fix.WORSE): Performer.SYSTEM,
}

VERDICTS = (Fix.WORKING, Fix.NO_CLEAR_EFFECT, Fix.WORSE, Fix.REGRESSED)
SHIPPED_STATUSES = (Fix.SHIPPED, *VERDICTS)
ACTIVE_STATUSES = (Fix.ACCEPTED, Fix.IN_PROGRESS)
# Fixes still to be decided or worked on: closing the issue cancels them.
OPEN_STATUSES = (Fix.PROPOSED, *ACTIVE_STATUSES)
# Fixes that will never ship: the issue's status ignores them.
DROPPED_STATUSES = (Fix.REJECTED, Fix.WITHDRAWN, Fix.CANCELLED)
# Only a proposal may be edited: once accepted, the department has agreed to what it says.
EDITABLE_STATUSES = (Fix.PROPOSED,)


def _label(status: str) -> str:
    return str(FixTicket.Status(status).label).lower()


def fix_transition_check(*, from_status: str, to_status: str, performer: Performer, issue_status: str) -> None:
    """Raise TransitionNotAllowed unless the table has this transition for this performer on an issue in this status.

    On a closed issue only the system's verdicts are recorded (the measurement of a fix shipped before closing).
    """
    if issue_status == Issue.CLOSED and performer is not Performer.SYSTEM:
        raise TransitionNotAllowed("the issue is closed; reopen it before changing its fixes")
    allowed = FIX_TRANSITIONS.get((from_status, to_status))
    if allowed is None:
        raise TransitionNotAllowed(f"a fix cannot go from {_label(from_status)} to {_label(to_status)}")
    if allowed is not performer:
        raise TransitionNotAllowed(f"{_label(to_status)} is recorded by the {allowed.value.replace('_', ' ')}")


def fix_edit_check(*, status: str, issue_status: str) -> None:
    """Raise TransitionNotAllowed unless a fix in this status, on an issue in this status, may be edited."""
    if fix_is_editable(status=status, issue_status=issue_status):
        return
    if issue_status == Issue.CLOSED:
        raise TransitionNotAllowed("the issue is closed; reopen it before changing its fixes")
    raise TransitionNotAllowed(f"only a proposed fix can be edited; this one is {_label(status)}")


def fix_is_editable(*, status: str, issue_status: str) -> bool:
    """Whether a fix in this status, on an issue in this status, may be edited (see fix_edit_check)."""
    return issue_status != Issue.CLOSED and status in EDITABLE_STATUSES


def fix_next_statuses(*, status: str, performer: Performer, issue_status: str = Issue.OPEN) -> list[str]:
    """The statuses a performer may move a fix to from this one, in table order (none on a closed issue for people).

    Cancelling is left out: it happens only when the issue closes.
    """
    if issue_status == Issue.CLOSED and performer is not Performer.SYSTEM:
        return []
    return [
        to for (frm, to), who in FIX_TRANSITIONS.items() if frm == status and who is performer and to != Fix.CANCELLED
    ]


def issue_close_check(*, status: str) -> None:
    """Raise TransitionNotAllowed unless an issue in this status can be closed."""
    if status == Issue.CLOSED:
        raise TransitionNotAllowed("the issue is already closed")


def issue_reopen_check(*, status: str) -> None:
    """Raise TransitionNotAllowed unless an issue in this status can be reopened (only a closed one)."""
    if status != Issue.CLOSED:
        raise TransitionNotAllowed(f"only a closed issue can be reopened; this one is {Issue(status).label.lower()}")


def issue_status_from_fixes(*, current: str, fix_statuses: Iterable[str]) -> str:
    """The issue's status all its fixes imply; the one place this rule lives.

    A closed issue stays closed (closing and reopening are explicit, by a lead or admin). Rejected, withdrawn
    and cancelled fixes never ship, so they are ignored; of the others ("live" fixes), first match wins:
    - any regressed → reopened (a regression needs attention even beside another working fix);
    - every live fix shipped (with or without a verdict): verified when one of them is working, else fix shipped;
    - any live fix accepted, in progress or shipped → in progress (work is under way, not all of it shipped);
    - else (no live fix, or only proposals) → open, or reopened when a lead reopened it.
    """
    if current == Issue.CLOSED:
        return Issue.CLOSED
    live = [status for status in fix_statuses if status not in DROPPED_STATUSES]
    if Fix.REGRESSED in live:
        return Issue.REOPENED
    if live and all(status in SHIPPED_STATUSES for status in live):
        return Issue.VERIFIED if Fix.WORKING in live else Issue.FIX_SHIPPED
    if any(status in ACTIVE_STATUSES or status in SHIPPED_STATUSES for status in live):
        return Issue.IN_PROGRESS
    return Issue.REOPENED if current == Issue.REOPENED else Issue.OPEN
