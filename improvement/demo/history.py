"""Dates the demo's history: the services stamp every row with the moment they run, so a demo seeded in one go
would have every issue raised, accepted and shipped within the same second. This moves each step back to the
moment it is meant to have happened, so the timeline reads raised → proposed → accepted → started → shipped."""

from __future__ import annotations

import datetime

from django.db.models import Max

from improvement.models import FixTicket, ImprovementIssue, IssueEvent


def _latest_event_id() -> int:
    return IssueEvent.objects.aggregate(latest=Max("id"))["latest"] or 0


class DemoHistory:
    """Stamps what each service call wrote with the moment the demo says it happened.

    Call `at(moment, issue=..., fix=...)` right after the service: the audit rows written since the previous call
    get `moment`, and so do the issue's and fix's `updated_at` (and `created_at` when `created`).
    """

    def __init__(self) -> None:
        self._stamped_up_to = _latest_event_id()

    def at(
        self,
        moment: datetime.datetime,
        *,
        issue: ImprovementIssue,
        fix: FixTicket | None = None,
        created: bool = False,
        closed: bool = False,
    ) -> None:
        IssueEvent.objects.filter(pk__gt=self._stamped_up_to).update(created_at=moment)
        self._stamped_up_to = _latest_event_id()
        if fix is not None:
            FixTicket.objects.filter(pk=fix.pk).update(updated_at=moment, **({"created_at": moment} if created else {}))
        issue_changes: dict[str, datetime.datetime] = {"updated_at": moment}
        if created and fix is None:
            issue_changes["created_at"] = moment
        if closed:
            issue_changes["closed_at"] = moment
        ImprovementIssue.objects.filter(pk=issue.pk).update(**issue_changes)
