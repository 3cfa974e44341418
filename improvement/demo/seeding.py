"""Builds a running demo from an empty database: departments, users for every role, and data."""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from cases.models import Case
from cases.services.embedding import case_embed_pending
from cases.services.file_import import case_import_file, case_import_report
from cases.services.ingest import case_ingest_many
from cases.simulation import CONTROL_PROBLEM, DEFAULT_DAYS, FIX_DAY, FIXED_PROBLEM, PROBLEMS_BY_KEY, simulate_contacts
from improvement.demo.history import DemoHistory
from improvement.impact.estimator.looks import level_percent
from improvement.impact.services.evaluation import fix_impact_evaluate
from improvement.models import CaseTheme, ClusteringRun, Department, ImprovementIssue, IssueEvent, Theme
from improvement.permissions import EXECUTIVE, TEAM_LEAD
from improvement.themes.services.curation import theme_merge
from improvement.themes.services.runs import clustering_run_execute
from improvement.volumes.selectors import volume_date_range
from improvement.volumes.services import daily_volumes_refresh
from improvement.workflow.services.departments import department_add_owner, department_create, user_create_with_role
from improvement.workflow.services.fixes import (
    fix_accept,
    fix_propose,
    fix_reject,
    fix_ship,
    fix_start,
)
from improvement.workflow.services.issues import issue_close, issue_raise

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


def demo_existing_data() -> str:
    """What an already used database holds, in words: "7,739 cases, 12 users, 15 themes, 6 issues"."""
    counts = {
        "cases": Case.objects.count(),
        "users": get_user_model().objects.count(),
        "themes": Theme.objects.count(),
        "issues": ImprovementIssue.objects.count(),
    }
    return ", ".join(f"{count:,} {name}" for name, count in counts.items())


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
    ingest_seconds: float = 0.0
    embed_seconds: float = 0.0
    # For a file: the lines `import_cases` prints for it (counts, then the first refused rows by line).
    file_report: list[str] = field(default_factory=list)


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

    Without `cases_file`, the SIMULATED stream (cases/simulation/, about `total` contacts over `days` days
    ending on `end`) goes through `case_ingest_many`; with it, the file is imported like `import_cases` does.
    Embedding runs here rather than on a worker, so the demo is ready to cluster when this returns.
    """
    started = time.perf_counter()
    if cases_file is not None:
        summary = case_import_file(path=cases_file, file_format=file_format, embed=False)
        result = DemoCasesResult(
            source=str(cases_file),
            created=summary.created,
            duplicates=summary.duplicates,
            rejected=summary.refused,
            file_report=case_import_report(summary),
        )
    else:
        result = DemoCasesResult(source="simulated stream")
        contacts = simulate_contacts(total=total, days=days, end=end)
        while batch := [contact.as_row() for contact in itertools.islice(contacts, DEMO_INGEST_BATCH_SIZE)]:
            ingested = case_ingest_many(rows=batch, embed=False)
            result.created += ingested.created
            result.duplicates += ingested.duplicates
            result.rejected += ingested.rejected_count
    result.ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result.embedded = case_embed_pending(on_progress=on_embedding_progress)
    result.embed_seconds = time.perf_counter() - started
    return result


@dataclass
class DemoClusteringResult:
    """The demo's first clustering run and a line saying what it found."""

    run: ClusteringRun
    message: str


def demo_cluster_cases() -> DemoClusteringResult:
    """Fit the first themes over the demo's embedded cases, in this process, through the production run."""
    run = ClusteringRun.objects.create(trigger=ClusteringRun.Trigger.DEMO)
    run = clustering_run_execute(run_id=run.pk)
    if run.status != ClusteringRun.Status.SUCCEEDED:
        return DemoClusteringResult(run=run, message=f"Clustering run {run.pk} failed: {run.error}")
    return DemoClusteringResult(
        run=run,
        message=(
            f"Clustering run {run.pk}: {run.theme_count} themes over {run.case_count} cases in "
            f"{run.duration_seconds:.0f}s, {run.outlier_share:.1%} unassigned."
        ),
    )


@dataclass
class DemoWorkflowResult:
    """What seeding the issue workflow created, and a line saying so."""

    issues: int = 0
    fixes: int = 0
    message: str = ""


# Each demo issue: title, problem, the simulated problem key its theme stands for, its fixes as (department index,
# path of statuses, note), and a closing note (closed by the lead when not empty). Verdicts (working, no clear effect,
# worse, regressed) are never made up here: they come only from measuring a shipped fix (demo_seed_impact).
DEMO_WORKFLOW_ISSUES = (
    (
        "Customers cannot tell where their parcel is",
        "Tracking links go stale after hand-over to the courier.",
        "parcel-late",
        [(0, ["proposed"], ""), (1, ["rejected"], "Billing does not own tracking links")],
        "",
    ),
    (
        "Refunds take weeks to show",
        "Customers chase refunds that were approved days ago.",
        "refund-not-received",
        [(1, ["accepted"], ""), (2, ["accepted", "in_progress"], "")],
        "",
    ),
    (
        "App logs customers out at checkout",
        "Sessions expire while paying; carts are lost.",
        "app-login",
        [(2, ["accepted", "in_progress", "shipped"], "")],
        "",
    ),
    (
        "Store stock shown online is wrong",
        "Items shown in stock are not on the shelf.",
        "out-of-stock",
        [(3, ["proposed"], ""), (3, ["accepted", "in_progress"], "")],
        "",
    ),
    (
        "Password reset emails arrive late",
        "Reset links expire before they arrive.",
        "password-reset",
        [(4, ["rejected"], "Reset emails are sent by the identity provider, not by Customer Care")],
        "Raised with the identity provider outside Fixloop; closing.",
    ),
)
# The demo's workflow history, in days: the first issue is raised this long ago and each next one later; a fix is
# proposed the day after its issue (a day more per earlier fix), decided a few days on (more for later issues, so
# departments differ), started two days after its acceptance; the shipped one ships WORKFLOW_SHIPPED_DAYS_AGO.
WORKFLOW_FIRST_RAISED_DAYS_AGO = 45
WORKFLOW_DAYS_BETWEEN_ISSUES = 2
WORKFLOW_DAYS_TO_PROPOSE = 1
WORKFLOW_DAYS_TO_DECIDE = 2
WORKFLOW_DAYS_TO_START = 2
WORKFLOW_DAYS_TO_CLOSE = 2
WORKFLOW_SHIPPED_DAYS_AGO = 10


def _active_theme_majority_problems() -> dict[int, tuple[str, int]]:
    """Per active theme holding simulated cases: (its most frequent simulated problem, ties by key; its case count).

    Reads the ground truth the clustering never sees: each simulated case's raw_payload["problem"].
    """
    counts: dict[int, dict[str, int]] = {}
    links = (
        CaseTheme.objects.filter(theme__status=Theme.Status.ACTIVE, case__raw_payload__problem__isnull=False)
        .values("theme_id", "case__raw_payload__problem")
        .annotate(cases=Count("case_id"))
    )
    for row in links:
        counts.setdefault(row["theme_id"], {})[str(row["case__raw_payload__problem"])] = row["cases"]
    return {
        theme_id: (max(sorted(problems), key=lambda key: problems[key]), sum(problems.values()))
        for theme_id, problems in sorted(counts.items())
    }


def demo_majority_problem_themes() -> dict[str, Theme]:
    """Per simulated problem key, the largest active theme in which that problem is the most frequent."""
    best: dict[str, tuple[int, int]] = {}
    for theme_id, (problem, size) in _active_theme_majority_problems().items():
        if problem not in best or size > best[problem][1]:
            best[problem] = (theme_id, size)
    themes = Theme.objects.in_bulk([theme_id for theme_id, _ in best.values()])
    return {problem: themes[theme_id] for problem, (theme_id, _) in best.items()}


@dataclass
class DemoCurationResult:
    """How many themes the demo lead merged, and a line saying so."""

    merged: int = 0
    message: str = ""


def demo_curate_themes() -> DemoCurationResult:
    """The demo lead merges each active theme into the largest one with the same majority simulated problem.

    The clustering may give one problem two themes (one phrasing or product each); a lead would merge them, and the
    demo does so through the curation service, so each simulated problem is the majority of exactly one theme and the
    merges show in the themes' history under the lead's name. Cases without a simulated problem change nothing.
    """
    lead = get_user_model().objects.filter(username="lead").first()
    if lead is None:
        return DemoCurationResult(message="No demo lead: no themes curated.")
    survivors = demo_majority_problem_themes()
    result = DemoCurationResult()
    for theme_id, (problem, _) in _active_theme_majority_problems().items():
        survivor = survivors[problem]
        if theme_id != survivor.pk:
            theme_merge(theme=Theme.objects.get(pk=theme_id), into=survivor, by=lead)
            result.merged += 1
    result.message = f"The demo lead merged {result.merged} themes into the theme of the same simulated problem."
    return result


@transaction.atomic
def demo_seed_workflow() -> DemoWorkflowResult:
    """Seed issues and fixes in every hand-set state, through the real services.

    Each issue goes to the active theme whose majority simulated problem is the issue's (demo_majority_problem_themes),
    or, where no theme has it, to the largest active themes in turn.

    Needs the demo people (demo_seed_people) and active themes; creates nothing and says why when either is
    missing or when issues exist already. Its events are marked notified: demo history sends no email. Each step
    is dated in the past (the WORKFLOW_* days), raised before proposed before decided before started before shipped.
    """
    themes = list(Theme.objects.filter(status=Theme.Status.ACTIVE).order_by("-size", "id")[: len(DEMO_WORKFLOW_ISSUES)])
    if not themes:
        return DemoWorkflowResult(message="No active themes yet: no issues or fixes seeded (cluster the cases first).")
    if ImprovementIssue.objects.exists():
        return DemoWorkflowResult(message="Issues exist already: no demo issues or fixes seeded.")
    lead = get_user_model().objects.filter(username="lead").first()
    departments = [
        department
        for department in Department.objects.order_by("id").prefetch_related("owners")
        if department.owners.exists()
    ]
    if lead is None or not departments:
        return DemoWorkflowResult(message="No demo lead or department owners: no issues or fixes seeded.")
    today = timezone.localdate()
    now = timezone.now()
    history = DemoHistory()
    result = DemoWorkflowResult()
    majority_themes = demo_majority_problem_themes()
    for number, (title, problem, problem_key, fixes, closing_note) in enumerate(DEMO_WORKFLOW_ISSUES):
        # By the ground truth, not a label; themes without simulated cases (a hand-made demo) fall back to size order.
        theme = majority_themes.get(problem_key) or themes[number % len(themes)]
        raised = now - datetime.timedelta(days=WORKFLOW_FIRST_RAISED_DAYS_AGO - number * WORKFLOW_DAYS_BETWEEN_ISSUES)
        issue = issue_raise(
            by=lead,
            title=title,
            problem_statement=f"{problem} (Theme: {theme.label}.)",
            themes=[theme],
            root_cause_hypothesis="To be confirmed with the owning department.",
        )
        history.at(raised, issue=issue, created=True)
        last_step = raised
        result.issues += 1
        for fix_number, (department_index, path, note) in enumerate(fixes):
            department = departments[department_index % len(departments)]
            owner = department.owners.order_by("id").first()
            fix = fix_propose(
                issue=issue,
                department=department,
                by=lead,
                description=f"{department.name}: remove the cause of “{title}”",
                due_date=today + datetime.timedelta(days=30),
            )
            moment = raised + datetime.timedelta(days=WORKFLOW_DAYS_TO_PROPOSE + fix_number)
            history.at(moment, issue=issue, fix=fix, created=True)
            result.fixes += 1
            for status in path[path[0] == "proposed" :]:
                if status == "accepted":
                    fix = fix_accept(fix=fix, by=owner)
                    moment += datetime.timedelta(days=WORKFLOW_DAYS_TO_DECIDE + number)
                elif status == "rejected":
                    fix = fix_reject(fix=fix, by=owner, reason=note)
                    moment += datetime.timedelta(days=WORKFLOW_DAYS_TO_DECIDE + number)
                elif status == "in_progress":
                    fix = fix_start(fix=fix, by=owner)
                    moment += datetime.timedelta(days=WORKFLOW_DAYS_TO_START)
                elif status == "shipped":
                    # Shipped recently: its impact, measured once committed, stays provisional in the demo.
                    moment = now - datetime.timedelta(days=WORKFLOW_SHIPPED_DAYS_AGO)
                    fix = fix_ship(fix=fix, by=owner, shipped_on=timezone.localdate(moment))
                history.at(moment, issue=issue, fix=fix)
            last_step = max(last_step, moment)
        if closing_note:
            issue_close(issue=issue, by=lead, note=closing_note)
            history.at(last_step + datetime.timedelta(days=WORKFLOW_DAYS_TO_CLOSE), issue=issue, closed=True)
    IssueEvent.objects.filter(notified_at__isnull=True).update(notified_at=timezone.now())
    result.message = f"Seeded {result.issues} issues and {result.fixes} fixes from {len(themes)} active themes."
    return result


@dataclass
class DemoImpactResult:
    """What seeding the measured demo fixes did, one line per fix (or why nothing was seeded)."""

    fixes: int = 0
    lines: list[str] = field(default_factory=list)
    message: str = ""


# The simulated problems whose fixes are measured: (problem key, issue title, fix description).
DEMO_IMPACT_FIXES = (
    (
        FIXED_PROBLEM,
        "Parcels marked delivered but never received",
        "Couriers photograph every doorstep delivery; no 'delivered' scan without the photo.",
    ),
    (CONTROL_PROBLEM, "Refunds not received", "Refund confirmation emails now give the expected bank date."),
)
# How long before its ship day each measured demo fix went through the earlier steps.
IMPACT_DAYS_RAISED_BEFORE_SHIP = 21
IMPACT_DAYS_PROPOSED_BEFORE_SHIP = 20
IMPACT_DAYS_ACCEPTED_BEFORE_SHIP = 16
IMPACT_DAYS_STARTED_BEFORE_SHIP = 14
# A theme stands for a simulated problem when at least this share of its cases came from it, or it holds at
# least this share of the problem's cases.
DEMO_THEME_MINIMUM_SHARE = 0.5


def demo_problem_themes(*, problem: str) -> list[Theme]:
    """Active themes whose cases mostly come from one simulated problem, or that hold most of that problem's cases
    (DEMO_THEME_MINIMUM_SHARE either way), largest first.

    The simulation records each case's problem in raw_payload["problem"]: the ground truth the clustering never sees.
    """
    counts: dict[int, list[int]] = {}
    links = (
        CaseTheme.objects.filter(theme__status=Theme.Status.ACTIVE)
        .values("theme_id", "case__raw_payload__problem")
        .annotate(cases=Count("case_id"))
    )
    for row in links:
        theme_counts = counts.setdefault(row["theme_id"], [0, 0])
        theme_counts[1] += row["cases"]
        if row["case__raw_payload__problem"] == problem:
            theme_counts[0] += row["cases"]
    problem_total = sum(matching for matching, _ in counts.values())
    # Where the clustering merged two problems into one theme (it can, on some CPUs), the theme
    # that holds most of this problem's complaints still stands for it.
    chosen = sorted(
        (
            theme_id
            for theme_id, (matching, total) in counts.items()
            if matching
            and (matching >= DEMO_THEME_MINIMUM_SHARE * total or matching >= DEMO_THEME_MINIMUM_SHARE * problem_total)
        ),
        key=lambda theme_id: -counts[theme_id][0],
    )
    themes = Theme.objects.in_bulk(chosen)
    return [themes[theme_id] for theme_id in chosen]


@transaction.atomic
def demo_seed_impact() -> DemoImpactResult:
    """Ship and measure two demo fixes on the simulated stream: one that works, one with no clear effect.

    The fix for `FIXED_PROBLEM` ships on the day its simulated volume falls (the stream's first day +
    FIX_DAY); the fix for `CONTROL_PROBLEM`, whose volume never changes, ships on the same day. Both go
    through the real services, then the impact evaluation records their verdicts. Run after the cases are
    clustered and after demo_seed_workflow (which seeds only while no issue exists). Safe to run twice. The
    issue is dated IMPACT_DAYS_RAISED_BEFORE_SHIP days before the ship day, the fix's steps between.
    """
    lead = get_user_model().objects.filter(username="lead").first()
    if lead is None:
        return DemoImpactResult(message="No demo lead: no measured fixes seeded (run demo_seed_people first).")
    daily_volumes_refresh()
    bounds = volume_date_range()
    if bounds is None:
        return DemoImpactResult(message="No cases counted: no measured fixes seeded.")
    ship_date = bounds[0] + datetime.timedelta(days=FIX_DAY)
    if ship_date > min(bounds[1], timezone.localdate()):
        return DemoImpactResult(message=f"The stream ends before its fix date {ship_date.isoformat()}: nothing seeded.")
    # Noon of the ship day (or now, when that is later today), every earlier step a set number of days before it.
    shipped = min(
        datetime.datetime.combine(ship_date, datetime.time(12), tzinfo=timezone.get_current_timezone()), timezone.now()
    )
    history = DemoHistory()
    result = DemoImpactResult()
    for problem_key, title, description in DEMO_IMPACT_FIXES:
        problem = PROBLEMS_BY_KEY[problem_key]
        if ImprovementIssue.objects.filter(title=title).exists():
            result.lines.append(f"{title}: seeded already")
            continue
        themes = demo_problem_themes(problem=problem_key)
        department = Department.objects.filter(name=problem.department).first()
        owner = department.owners.order_by("id").first() if department else None
        if not themes or owner is None:
            result.lines.append(f"{title}: no theme stands for “{problem.name}” or no {problem.department} owner")
            continue
        issue = issue_raise(
            by=lead,
            title=title,
            problem_statement=f"{problem.name} (simulated problem {problem_key}).",
            themes=themes,
            root_cause_hypothesis="Measured in the demo: see the fix's impact.",
        )
        history.at(shipped - datetime.timedelta(days=IMPACT_DAYS_RAISED_BEFORE_SHIP), issue=issue, created=True)
        fix = fix_propose(issue=issue, department=department, description=description, by=lead)
        history.at(
            shipped - datetime.timedelta(days=IMPACT_DAYS_PROPOSED_BEFORE_SHIP), issue=issue, fix=fix, created=True
        )
        fix = fix_accept(fix=fix, by=owner)
        history.at(shipped - datetime.timedelta(days=IMPACT_DAYS_ACCEPTED_BEFORE_SHIP), issue=issue, fix=fix)
        fix = fix_start(fix=fix, by=owner)
        history.at(shipped - datetime.timedelta(days=IMPACT_DAYS_STARTED_BEFORE_SHIP), issue=issue, fix=fix)
        fix = fix_ship(fix=fix, by=owner, shipped_on=ship_date)
        history.at(shipped, issue=issue, fix=fix)
        impact = fix_impact_evaluate(fix=fix)
        fix.refresh_from_db()
        result.fixes += 1
        result.lines.append(
            f"Fix {fix.pk} “{title}” (themes {', '.join(str(theme.pk) for theme in themes)}), shipped "
            f"{ship_date.isoformat()}: {fix.get_status_display().lower()}; {impact.relative_effect:+.0%} "
            f"({level_percent(impact.interval_level)} interval {impact.ci_low:+.0%} to {impact.ci_high:+.0%}), "
            f"p = {impact.p_value:.3f}"
        )
    IssueEvent.objects.filter(notified_at__isnull=True).update(notified_at=timezone.now())
    result.message = f"Seeded and measured {result.fixes} demo fixes."
    return result
