"""Cases a team lead links to an issue as extra evidence; each linking is one entry of the issue's audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction

from cases.models import Case
from improvement.errors import Invalid
from improvement.models import ImprovementIssue, IssueCaseLink, IssueEvent
from improvement.permissions import permission_require, user_can_write_issues

# The most cases one request links to an issue.
ISSUE_LINK_MAXIMUM_CASES = 100
LISTED_IDS = 20


def issue_link_cases(*, issue: ImprovementIssue, case_ids: Sequence[int], by: User) -> list[int]:
    """Link the cases to the issue (cases already linked stay as they are); returns the ids newly linked.

    Invalid naming `case_ids` when none, more than ISSUE_LINK_MAXIMUM_CASES, or unknown ids are given.
    """
    permission_require(user_can_write_issues(by), "only team leads and admins may link cases to issues")
    try:
        ids = sorted({int(case_id) for case_id in case_ids})
    except (TypeError, ValueError):
        raise Invalid({"case_ids": "Case ids must be whole numbers."}) from None
    if not ids:
        raise Invalid({"case_ids": "Select at least one case."})
    if len(ids) > ISSUE_LINK_MAXIMUM_CASES:
        raise Invalid({"case_ids": f"Link at most {ISSUE_LINK_MAXIMUM_CASES} cases at a time ({len(ids):,} selected)."})
    known = set(Case.objects.filter(id__in=ids).values_list("id", flat=True))
    unknown = [case_id for case_id in ids if case_id not in known]
    if unknown:
        raise Invalid({"case_ids": "Unknown case ids: " + ", ".join(map(str, unknown[:LISTED_IDS])) + "."})
    with transaction.atomic():
        issue = ImprovementIssue.objects.select_for_update().get(pk=issue.pk)
        already = set(IssueCaseLink.objects.filter(issue=issue, case_id__in=ids).values_list("case_id", flat=True))
        new = [case_id for case_id in ids if case_id not in already]
        if not new:
            return []
        IssueCaseLink.objects.bulk_create(
            [IssueCaseLink(issue=issue, case_id=case_id, linked_by=by) for case_id in new]
        )
        IssueEvent.objects.create(
            issue=issue,
            kind=IssueEvent.Kind.CASES_LINKED,
            actor=by,
            from_status=issue.status,
            to_status=issue.status,
            note="Linked case" + ("s " if len(new) > 1 else " ") + ", ".join(map(str, new)) + " as evidence.",
        )
    return new
