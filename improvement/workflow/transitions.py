"""The fix ticket state machine and the rule that derives an issue's status from its fixes.

One table says which fix transitions exist and who performs each; services in
improvement.workflow.services.fixes perform them one by one. Nothing here touches the database.

    proposed ─┬─> accepted ──> in_progress ──> shipped ─┬─> working ──> regressed
              └─> rejected                              ├─> no_clear_effect
                                                        └─> worse
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
    SYSTEM = "system"  # the impact evaluation; recorded with actor None


FIX_TRANSITIONS: dict[tuple[str, str], Performer] = {
    (Fix.PROPOSED, Fix.ACCEPTED): Performer.DEPARTMENT_OWNER,
    (Fix.PROPOSED, Fix.REJECTED): Performer.DEPARTMENT_OWNER,
    (Fix.ACCEPTED, Fix.IN_PROGRESS): Performer.DEPARTMENT_OWNER,
    (Fix.IN_PROGRESS, Fix.SHIPPED): Performer.DEPARTMENT_OWNER,
    (Fix.SHIPPED, Fix.WORKING): Performer.SYSTEM,
    (Fix.SHIPPED, Fix.NO_CLEAR_EFFECT): Performer.SYSTEM,
    (Fix.SHIPPED, Fix.WORSE): Performer.SYSTEM,
    (Fix.WORKING, Fix.REGRESSED): Performer.SYSTEM,
}

VERDICTS = (Fix.WORKING, Fix.NO_CLEAR_EFFECT, Fix.WORSE, Fix.REGRESSED)
SHIPPED_STATUSES = (Fix.SHIPPED, *VERDICTS)
ACTIVE_STATUSES = (Fix.ACCEPTED, Fix.IN_PROGRESS)


def fix_transition_check(*, from_status: str, to_status: str, performer: Performer) -> None:
    """Raise TransitionNotAllowed unless the table has this transition for this performer."""
    allowed = FIX_TRANSITIONS.get((from_status, to_status))
    if allowed is None:
        raise TransitionNotAllowed(
            f"a fix cannot go from {FixTicket.Status(from_status).label.lower()} "
            f"to {FixTicket.Status(to_status).label.lower()}"
        )
    if allowed is not performer:
        raise TransitionNotAllowed(
            f"{FixTicket.Status(to_status).label.lower()} is recorded by the {allowed.value.replace('_', ' ')}"
        )


def fix_next_statuses(*, status: str, performer: Performer) -> list[str]:
    """The statuses a performer may move a fix to from this one, in table order."""
    return [to for (frm, to), who in FIX_TRANSITIONS.items() if frm == status and who is performer]


def issue_status_from_fixes(*, current: str, fix_statuses: Iterable[str]) -> str:
    """The issue's status its fixes imply; the one place this rule lives.

    A closed issue stays closed (closing is explicit, by a lead or admin). Otherwise, first match wins:
    any fix regressed → reopened (a regression needs attention even beside another working fix);
    any fix working → verified; any fix shipped, or shipped without a clear or with a bad effect →
    fix shipped; any fix accepted or in progress → in progress; else (none, proposed or rejected) → open.
    """
    if current == Issue.CLOSED:
        return Issue.CLOSED
    statuses = set(fix_statuses)
    if Fix.REGRESSED in statuses:
        return Issue.REOPENED
    if Fix.WORKING in statuses:
        return Issue.VERIFIED
    if statuses & {Fix.SHIPPED, Fix.NO_CLEAR_EFFECT, Fix.WORSE}:
        return Issue.FIX_SHIPPED
    if statuses & set(ACTIVE_STATUSES):
        return Issue.IN_PROGRESS
    return Issue.OPEN
