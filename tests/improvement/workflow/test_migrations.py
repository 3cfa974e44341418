"""The data migration that brings issues closed before issue #15 in line with the closing rule."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("improvement", "0006_known_errors_fix_withdrawal_and_chat_deliveries")]
AFTER = [("improvement", "0007_cancel_open_fixes_of_closed_issues")]


@pytest.mark.django_db(transaction=True)
def test_open_fixes_of_issues_closed_before_are_cancelled_and_audited_without_notifying():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Issue = apps.get_model("improvement", "ImprovementIssue")
    Fix = apps.get_model("improvement", "FixTicket")
    Department = apps.get_model("improvement", "Department")
    department = Department.objects.create(name="Logistics", slug="logistics")
    closed = Issue.objects.create(title="Closed", problem_statement="p", status="closed")
    still_open = Issue.objects.create(title="Open", problem_statement="p", status="open")
    proposed = Fix.objects.create(issue=closed, department=department, description="d", status="proposed")
    shipped = Fix.objects.create(
        issue=closed, department=department, description="d", status="shipped", shipped_on="2026-02-01"
    )
    elsewhere = Fix.objects.create(issue=still_open, department=department, description="d", status="proposed")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    apps = executor.loader.project_state(AFTER).apps
    Fix = apps.get_model("improvement", "FixTicket")
    Event = apps.get_model("improvement", "IssueEvent")
    statuses = dict(Fix.objects.values_list("pk", "status"))
    assert statuses == {proposed.pk: "cancelled", shipped.pk: "shipped", elsewhere.pk: "proposed"}
    events = [
        (event.fix_id, event.from_status, event.to_status, event.notified_at is None) for event in Event.objects.all()
    ]
    assert events == [(proposed.pk, "proposed", "cancelled", False)]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
