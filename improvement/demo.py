"""Builds a running demo from an empty database: departments, users for every role, and data."""
from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cases.services.embedding import case_embed_pending
from cases.services.file_import import case_import_file
from cases.services.ingest import case_ingest_many
from cases.simulation import DEFAULT_DAYS, simulate_contacts
from improvement.models import Department, ImprovementIssue, IssueEvent, Theme
from improvement.roles import EXECUTIVE, TEAM_LEAD
from improvement.services.departments import department_add_owner, department_create, user_create_with_role
from improvement.services.fixes import (
    fix_accept,
    fix_propose,
    fix_record_verdict,
    fix_reject,
    fix_ship,
    fix_start,
)
from improvement.services.issues import issue_close, issue_raise

DEMO_PASSWORD = "demo"
DEMO_DEPARTMENTS = ("Logistics", "Billing", "Digital", "Stores", "Customer Care")
# Sized so that ingesting and embedding take about a minute on two cores (bench/embed.py; the report has figures).
DEMO_SIMULATED_CASES = 8000
DEMO_INGEST_BATCH_SIZE = 2000


@dataclass
class DemoResult:
    """What the demo created, for printing logins."""

    logins: list[tuple[str, str]] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)


def demo_database_is_empty() -> bool:
    """Whether the database has no users and no departments yet (a fresh install)."""
    return not get_user_model().objects.exists() and not Department.objects.exists()


@transaction.atomic
def demo_seed_people() -> DemoResult:
    """Create the demo departments and one user per role (password `demo`); refuses a non-empty database."""
    if not demo_database_is_empty():
        raise ValueError("the demo only seeds an empty database; it already has users or departments")
    result = DemoResult()
    user_create_with_role(username="admin", password=DEMO_PASSWORD, is_staff=True, email="admin@example.com")
    result.logins.append(("admin", "staff admin"))
    user_create_with_role(username="lead", password=DEMO_PASSWORD, role=TEAM_LEAD, email="lead@example.com")
    result.logins.append(("lead", TEAM_LEAD))
    user_create_with_role(username="exec", password=DEMO_PASSWORD, role=EXECUTIVE, email="exec@example.com")
    result.logins.append(("exec", EXECUTIVE))
    for name in DEMO_DEPARTMENTS:
        department = department_create(name=name)
        owner = user_create_with_role(
            username=f"owner-{department.slug}", password=DEMO_PASSWORD, email=f"owner-{department.slug}@example.com"
        )
        department_add_owner(department=department, user=owner)
        result.logins.append((owner.username, f"Department owner, {department.name}"))
        result.departments.append(department.name)
    return result


@dataclass
class DemoCasesResult:
    """What loading the demo's cases did."""

    source: str
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    embedded: int = 0
    first_rejections: list[tuple[int, str]] = field(default_factory=list)


def demo_load_cases(
    *,
    cases_file: Path | str | None = None,
    file_format: str = "generic",
    total: int = DEMO_SIMULATED_CASES,
    days: int = DEFAULT_DAYS,
    end: datetime.date | None = None,
    on_embedding_progress: Callable[[int, int], None] | None = None,
) -> DemoCasesResult:
    """Ingest the demo's cases, then embed them all in this process.

    Without `cases_file`, the SIMULATED stream (cases/simulation.py, about `total` contacts over `days` days
    ending on `end`) goes through `case_ingest_many`; with it, the file is imported like `import_cases` does.
    Embedding runs here rather than on a worker, so the demo is ready to cluster when this returns.
    """
    if cases_file is not None:
        summary = case_import_file(path=cases_file, file_format=file_format, embed=False)
        result = DemoCasesResult(
            source=str(cases_file), created=summary.created, duplicates=summary.duplicates,
            rejected=summary.rejected, first_rejections=summary.first_rejections,
        )
    else:
        result = DemoCasesResult(source="simulated stream")
        contacts = simulate_contacts(total=total, days=days, end=end)
        while batch := [contact.as_row() for contact in itertools.islice(contacts, DEMO_INGEST_BATCH_SIZE)]:
            ingested = case_ingest_many(rows=batch, embed=False)
            result.created += ingested.created
            result.duplicates += ingested.duplicates
            result.rejected += ingested.rejected_count
    result.embedded = case_embed_pending(on_progress=on_embedding_progress)
    return result


@dataclass
class DemoWorkflowResult:
    """What seeding the issue workflow created, and a line saying so."""

    issues: int = 0
    fixes: int = 0
    message: str = ""


# Each demo issue: title, problem, its fixes as (department index, path of statuses, note), and a closing note
# (closed by the lead when not empty).
DEMO_WORKFLOW_ISSUES = (
    ("Customers cannot tell where their parcel is", "Tracking links go stale after hand-over to the courier.",
     [(0, ["proposed"], ""), (1, ["rejected"], "Billing does not own tracking links")], ""),
    ("Refunds take weeks to show", "Customers chase refunds that were approved days ago.",
     [(1, ["accepted"], ""), (2, ["accepted", "in_progress"], "")], ""),
    ("App logs customers out at checkout", "Sessions expire while paying; carts are lost.",
     [(2, ["accepted", "in_progress", "shipped"], "")], ""),
    ("Delivery slots vanish after booking", "Booked slots disappear from the account page.",
     [(0, ["accepted", "in_progress", "shipped", "working"], "contacts on this theme down 41% in 28 days")], ""),
    ("Store stock shown online is wrong", "Items shown in stock are not on the shelf.",
     [(3, ["accepted", "in_progress", "shipped", "no_clear_effect"], "change within normal variation"),
      (3, ["accepted", "in_progress", "shipped", "worse"], "contacts up 12% after the change")], ""),
    ("Promo codes rejected at checkout", "Valid codes fail for returning customers.",
     [(2, ["accepted", "in_progress", "shipped", "working", "regressed"], "volume back to its old level")], ""),
    ("Password reset emails arrive late", "Reset links expire before they arrive.",
     [(4, ["accepted", "in_progress", "shipped", "working"], "contacts down 55%")], "Fixed and verified; closing."),
)


@transaction.atomic
def demo_seed_workflow() -> DemoWorkflowResult:
    """Seed issues and fixes in every state from the largest active themes, through the real services.

    Needs the demo people (demo_seed_people) and active themes; creates nothing and says why when either is
    missing or when issues exist already. Its events are marked notified: demo history sends no email.
    """
    themes = list(Theme.objects.filter(status=Theme.Status.ACTIVE).order_by("-size", "id")[:len(DEMO_WORKFLOW_ISSUES)])
    if not themes:
        return DemoWorkflowResult(message="No active themes yet: no issues or fixes seeded (cluster the cases first).")
    if ImprovementIssue.objects.exists():
        return DemoWorkflowResult(message="Issues exist already: no demo issues or fixes seeded.")
    lead = get_user_model().objects.filter(username="lead").first()
    departments = [
        department for department in Department.objects.order_by("id").prefetch_related("owners")
        if department.owners.exists()
    ]
    if lead is None or not departments:
        return DemoWorkflowResult(message="No demo lead or department owners: no issues or fixes seeded.")
    today = timezone.localdate()
    result = DemoWorkflowResult()
    for number, (title, problem, fixes, closing_note) in enumerate(DEMO_WORKFLOW_ISSUES):
        theme = themes[number % len(themes)]
        issue = issue_raise(
            by=lead, title=title, problem_statement=f"{problem} (Theme: {theme.label}.)", themes=[theme],
            root_cause_hypothesis="To be confirmed with the owning department.",
        )
        result.issues += 1
        for department_index, path, note in fixes:
            department = departments[department_index % len(departments)]
            owner = department.owners.order_by("id").first()
            fix = fix_propose(
                issue=issue, department=department, by=lead, description=f"{department.name}: remove the cause of “{title}”",
                due_date=today + datetime.timedelta(days=30),
            )
            result.fixes += 1
            for status in path[path[0] == "proposed":]:
                if status == "accepted":
                    fix = fix_accept(fix=fix, by=owner)
                elif status == "rejected":
                    fix = fix_reject(fix=fix, by=owner, reason=note)
                elif status == "in_progress":
                    fix = fix_start(fix=fix, by=owner)
                elif status == "shipped":
                    fix = fix_ship(fix=fix, by=owner, shipped_on=today - datetime.timedelta(days=35))
                else:
                    verdict_note = note if status == path[-1] else "contacts on this theme down after the change"
                    fix = fix_record_verdict(fix=fix, verdict=status, note=verdict_note)
        if closing_note:
            issue_close(issue=issue, by=lead, note=closing_note)
    IssueEvent.objects.filter(notified_at__isnull=True).update(notified_at=timezone.now())
    result.message = f"Seeded {result.issues} issues and {result.fixes} fixes from {len(themes)} active themes."
    return result
