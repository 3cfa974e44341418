"""The authorization sweep, generated: every operation of the OpenAPI schema and every page of the URL resolver,
for eight identities, answered as the permission rule says.

The operations come from drf-spectacular's schema and the pages from Django's URL resolver, both built here, so a
new endpoint is swept without a line changed; one with no rule in `API_RULES` or `PAGE_RULES` fails
`test_every_api_operation_and_page_has_a_rule`. A rule names the predicate of improvement/permissions.py (or the
visibility selector) that decides, and says what a refused identity gets:

- allowed: 2xx, a redirect elsewhere than the login page, or a 4xx about the request itself (400, 409);
- refused: 401, 403, 404 or a redirect to the login page, and nothing stored changed;
- hidden (an object the identity may not see): 404, and nothing stored changed;
- never a 5xx.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser, Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import CaseImport
from improvement.demo.seeding import demo_seed_people
from improvement.models import ClusteringRun, CurationJob, Department, FixTicket, ImprovementIssue, Theme, ThemeGroup
from improvement.permissions import (
    TEAM_LEAD,
    user_can_curate_themes,
    user_can_import_cases,
    user_can_read_themes,
    user_can_see_executive_dashboard,
    user_can_see_fix_queue,
    user_can_see_theme_overview,
    user_can_write_issues,
    user_has_any_role,
    user_owns_fix_department,
)
from improvement.workflow.selectors import fix_list_visible, issue_list_visible
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory, cases_for_theme

pytestmark = pytest.mark.django_db

IDENTITIES = (
    "anonymous",
    "no-role",
    "former-lead",
    "lead",
    "exec",
    "owner-logistics",
    "owner-billing",
    "admin",
)
DEPARTMENTS = ("logistics", "billing")
LOGIN_PATH = "/accounts/login/"
# Tables a request may write whoever sends it: sessions (logging in or out), django-axes' attempt log.
UNGUARDED_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


class Expect(Enum):
    ALLOW = "allowed"
    DENY = "refused"
    HIDE = "hidden"


@dataclass
class World:
    """The rows every request of the sweep points at, one set per department where it matters."""

    theme: Theme
    other_theme: Theme
    group: ThemeGroup
    case_ids: list[int]
    run: ClusteringRun
    issues: dict[str, ImprovementIssue]
    proposed: dict[str, FixTicket]
    shipped: dict[str, FixTicket]
    case_import: CaseImport
    curation_job: CurationJob


def world_create() -> World:
    demo_seed_people()
    former = User.objects.create_user(username="former-lead", password="demo", is_active=True)
    former.groups.add(Group.objects.get(name=TEAM_LEAD))
    Token.objects.create(user=former)
    User.objects.filter(pk=former.pk).update(is_active=False)
    User.objects.create_user(username="no-role", password="demo")
    now = timezone.now()
    theme = ThemeFactory(label="Parcel marked delivered but never arrived", suggested_label="Parcel never arrived")
    group = ThemeGroup.objects.create(name="Refunds and payments")
    other_theme = ThemeFactory(label="Refund not received", group=group)
    cases = cases_for_theme(theme=theme, received=[now - dt.timedelta(days=day) for day in (1, 2, 3)])
    cases_for_theme(theme=other_theme, received=[now - dt.timedelta(days=4)])
    issues, proposed, shipped = {}, {}, {}
    for slug in DEPARTMENTS:
        department = Department.objects.get(slug=slug)
        issues[slug] = IssueFactory(title=f"Issue for {slug}", themes=[theme])
        proposed[slug] = FixFactory(issue=issues[slug], department=department, description=f"{slug} proposal")
        shipped[slug] = FixFactory(
            issue=issues[slug], department=department, status="shipped", description=f"{slug} shipped"
        )
    return World(
        theme=theme,
        other_theme=other_theme,
        group=group,
        case_ids=[case.pk for case in cases],
        run=ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED),
        issues=issues,
        proposed=proposed,
        shipped=shipped,
        case_import=CaseImport.objects.create(
            uploaded_by=User.objects.get(username="lead"),
            file_name="contacts.csv",
            file_format="generic",
            content=b"external_id,text,received_at\n",
            size_bytes=29,
            status=CaseImport.Status.SUCCEEDED,
        ),
        curation_job=CurationJob.objects.create(
            kind=CurationJob.Kind.SPLIT_SELECTION, theme=theme, status=CurationJob.Status.SUCCEEDED
        ),
    )


# --- the rules -------------------------------------------------------------------------------------------------
# A rule is (user, world, department) -> Expect; `department` is the slug of the row a request points at, or None.
Rule = Callable[[User | AnonymousUser, World, str | None], Expect]


def _signed_in(user) -> bool:
    return user.is_authenticated and user.is_active


def public(user, world, department) -> Expect:
    return Expect.ALLOW


def public_api(user, world, department) -> Expect:
    """Open to all, but a token of a deactivated user is refused wherever it is sent."""
    return Expect.DENY if user.is_authenticated and not user.is_active else Expect.ALLOW


def no_body(world: World) -> dict:
    return {}


def signed_in(user, world, department) -> Expect:
    return Expect.ALLOW if _signed_in(user) else Expect.DENY


def allowed_if(predicate: Callable[[User | AnonymousUser], bool]) -> Rule:
    def rule(user, world, department) -> Expect:
        return Expect.ALLOW if predicate(user) else Expect.DENY

    rule.__name__ = f"allowed_if_{predicate.__name__}"
    return rule


def may_ingest_cases(user) -> bool:
    return _signed_in(user) and user.has_perm("cases.add_case")


def fix_visible(pick: str) -> Rule:
    """Signed in and the fix (`pick` of world: proposed or shipped) is one fix_list_visible gives; else hidden."""

    def rule(user, world, department) -> Expect:
        if not _signed_in(user):
            return Expect.DENY
        fix = getattr(world, pick)[department]
        return Expect.ALLOW if fix_list_visible(user=user).filter(pk=fix.pk).exists() else Expect.HIDE

    return rule


def issue_visible(user, world, department) -> Expect:
    if not _signed_in(user):
        return Expect.DENY
    issue = world.issues[department]
    return Expect.ALLOW if issue_list_visible(user=user).filter(pk=issue.pk).exists() else Expect.HIDE


def decides_on_fix(user, world, department) -> Expect:
    return Expect.ALLOW if user_owns_fix_department(user=user, fix=world.proposed[department]) else Expect.DENY


def writes_issues_on_a_visible_issue(user, world, department) -> Expect:
    if not user_can_write_issues(user):
        return Expect.DENY
    return issue_visible(user, world, department)


def writes_issues_on_a_visible_proposal(user, world, department) -> Expect:
    """Withdrawing or editing a proposed fix: team leads and admins, on a fix they may see."""
    if not user_can_write_issues(user):
        return Expect.DENY
    return fix_visible("proposed")(user, world, department)


# Per schema operation id: the rule and the body sent (a valid one where it is short to write).
API_RULES: dict[str, tuple[Rule, Callable[[World], dict]]] = {
    "auth_token_create": (public_api, lambda world: {"username": "lead", "password": "wrong"}),
    "cases_list": (allowed_if(user_has_any_role), no_body),
    "cases_retrieve": (allowed_if(user_has_any_role), no_body),
    "cases_bulk_create": (
        allowed_if(may_ingest_cases),
        lambda world: {
            "cases": [
                {
                    "external_id": "sweep-1",
                    "channel": "twitter",
                    "brand": "acme",
                    "text": "parcel late",
                    "received_at": "2026-11-20T09:30:00Z",
                }
            ]
        },
    ),
    "clustering_runs_list": (allowed_if(user_can_read_themes), no_body),
    "clustering_runs_retrieve": (allowed_if(user_can_read_themes), no_body),
    "clustering_runs_create": (allowed_if(user_can_curate_themes), no_body),
    "clustering_runs_cancel_create": (allowed_if(user_can_curate_themes), no_body),
    "dashboard_executive": (allowed_if(user_can_see_executive_dashboard), no_body),
    "departments_list": (allowed_if(user_has_any_role), no_body),
    "departments_retrieve": (allowed_if(user_has_any_role), no_body),
    "fixes_list": (signed_in, no_body),
    "fixes_create": (
        allowed_if(user_can_write_issues),
        lambda world: {
            "issue": world.issues["logistics"].pk,
            "department": Department.objects.get(slug="logistics").pk,
            "description": "Photograph the door.",
        },
    ),
    "fixes_impact_retrieve": (fix_visible("shipped"), no_body),
    "fixes_retrieve": (fix_visible("shipped"), no_body),
    "fixes_accept_create": (decides_on_fix, lambda world: {"note": "yes"}),
    "fixes_reject_create": (decides_on_fix, lambda world: {"reason": "too costly"}),
    "fixes_start_create": (decides_on_fix, lambda world: {"note": ""}),
    "fixes_ship_create": (decides_on_fix, lambda world: {"shipped_on": timezone.localdate().isoformat()}),
    "fixes_withdraw_create": (writes_issues_on_a_visible_proposal, lambda world: {"reason": "not needed"}),
    "fixes_partial_update": (writes_issues_on_a_visible_proposal, lambda world: {"description": "Photograph it."}),
    "issues_list": (signed_in, no_body),
    "issues_create": (
        allowed_if(user_can_write_issues),
        lambda world: {"title": "Doors", "theme": world.theme.pk, "problem_statement": "Parcels vanish."},
    ),
    "issues_retrieve": (issue_visible, no_body),
    "issues_partial_update": (writes_issues_on_a_visible_issue, lambda world: {"title": "Renamed issue"}),
    "issues_close_create": (writes_issues_on_a_visible_issue, lambda world: {"note": "done"}),
    "issues_reopen_create": (writes_issues_on_a_visible_issue, lambda world: {"note": "again"}),
    "themes_list": (allowed_if(user_can_read_themes), no_body),
    "themes_retrieve": (allowed_if(user_can_read_themes), no_body),
    "themes_cases_list": (allowed_if(user_can_read_themes), no_body),
    "themes_merge_create": (allowed_if(user_can_curate_themes), lambda world: {"into": world.other_theme.pk}),
    "themes_move_cases_create": (
        allowed_if(user_can_curate_themes),
        lambda world: {"case_ids": world.case_ids[:1], "to": world.other_theme.pk},
    ),
    "themes_rename_create": (allowed_if(user_can_curate_themes), lambda world: {"label": "Renamed theme"}),
    # Queues a k-means curation job (202) for a curator; refused before any job row is stored for anyone else.
    "themes_split_create": (allowed_if(user_can_curate_themes), lambda world: {"parts": 2}),
    "themes_accept_label_create": (allowed_if(user_can_curate_themes), no_body),
    "themes_group_create": (allowed_if(user_can_curate_themes), lambda world: {"group": world.group.pk}),
    "theme_groups_list": (allowed_if(user_can_read_themes), no_body),
    "theme_groups_retrieve": (allowed_if(user_can_read_themes), no_body),
    "theme_groups_create": (
        allowed_if(user_can_curate_themes),
        lambda world: {"name": "Deliveries", "themes": [world.theme.pk]},
    ),
    "theme_groups_partial_update": (allowed_if(user_can_curate_themes), lambda world: {"name": "Renamed group"}),
    # The world's group holds a theme, so an allowed delete answers 409 and the group stays for the next identity.
    "theme_groups_destroy": (allowed_if(user_can_curate_themes), no_body),
    "theme_groups_propose_create": (allowed_if(user_can_curate_themes), no_body),
    "themes_split_selection_create": (
        allowed_if(user_can_curate_themes),
        lambda world: {"case_ids": world.case_ids[:1], "label": "Split out"},
    ),
    "curation_jobs_list": (allowed_if(user_can_read_themes), no_body),
    "curation_jobs_retrieve": (allowed_if(user_can_read_themes), no_body),
    "issues_link_cases_create": (writes_issues_on_a_visible_issue, lambda world: {"case_ids": world.case_ids[:1]}),
    "themes_seed_create": (allowed_if(user_can_curate_themes), lambda world: {"themes": [{"name": "Sweep seeded"}]}),
    "themes_snooze_create": (allowed_if(user_can_curate_themes), lambda world: {"until": "escalation"}),
    "themes_unsnooze_create": (allowed_if(user_can_curate_themes), no_body),
}
# API URLs outside the schema (the router's root, the schema itself, its Swagger UI and ReDoc pages), and their paths.
API_EXTRA_RULES: dict[str, Rule] = {
    "api-root": signed_in,
    "api-schema": signed_in,
    "api-docs": signed_in,
    "api-redoc": signed_in,
}
API_EXTRA_PATHS = {
    "api-root": "/api/",
    "api-schema": "/api/schema/",
    "api-docs": "/api/docs/",
    "api-redoc": "/api/redoc/",
}

# Per page URL name: the rule, and the methods with their form data.
PAGE_RULES: dict[str, tuple[Rule, dict[str, Callable[[World], dict]]]] = {
    "healthz": (public, {"get": no_body}),
    "login": (public, {"get": no_body, "post": lambda world: {"username": "lead", "password": "wrong"}}),
    "logout": (public, {"post": no_body}),
    "home": (signed_in, {"get": no_body}),
    "no_role": (signed_in, {"get": no_body}),
    "executive": (allowed_if(user_can_see_executive_dashboard), {"get": no_body}),
    "lead": (allowed_if(user_can_see_theme_overview), {"get": no_body}),
    "owner": (allowed_if(user_can_see_fix_queue), {"get": no_body}),
    "export_themes": (allowed_if(user_can_read_themes), {"get": no_body}),
    "export_issues": (allowed_if(user_has_any_role), {"get": no_body}),
    "export_fixes": (allowed_if(user_has_any_role), {"get": no_body}),
    "theme_detail": (allowed_if(user_can_read_themes), {"get": no_body}),
    "case_browser": (allowed_if(user_has_any_role), {"get": no_body}),
    "case_selection": (
        allowed_if(user_can_curate_themes),
        {"post": lambda world: {"action": "move", "case_ids": world.case_ids[:1], "to": world.other_theme.pk}},
    ),
    "curation_job": (allowed_if(user_can_read_themes), {"get": no_body}),
    "curation_job_status": (allowed_if(user_can_read_themes), {"get": no_body}),
    "theme_rename": (allowed_if(user_can_curate_themes), {"post": lambda world: {"label": "Renamed theme"}}),
    "theme_merge": (allowed_if(user_can_curate_themes), {"post": lambda world: {"into": world.other_theme.pk}}),
    "theme_split": (allowed_if(user_can_curate_themes), {"post": lambda world: {"parts": 2}}),
    "theme_accept_label": (allowed_if(user_can_curate_themes), {"post": no_body}),
    "theme_group": (allowed_if(user_can_curate_themes), {"post": lambda world: {"group": world.group.pk}}),
    "theme_group_create": (
        allowed_if(user_can_curate_themes),
        {"post": lambda world: {"name": "Deliveries", "themes": [world.theme.pk]}},
    ),
    "theme_groups_propose": (allowed_if(user_can_curate_themes), {"post": no_body}),
    "theme_group_rename": (allowed_if(user_can_curate_themes), {"post": lambda world: {"name": "Renamed group"}}),
    "theme_group_delete": (allowed_if(user_can_curate_themes), {"post": no_body}),
    "theme_seed": (
        allowed_if(user_can_curate_themes),
        {"get": no_body, "post": lambda world: {"taxonomy": "Sweep seeded"}},
    ),
    "theme_snooze": (allowed_if(user_can_curate_themes), {"post": lambda world: {"until": "escalation"}}),
    "theme_unsnooze": (allowed_if(user_can_curate_themes), {"post": no_body}),
    "theme_raise_issue": (
        allowed_if(user_can_write_issues),
        {"get": no_body, "post": lambda world: {"title": "Doors", "problem_statement": "Vanish.", "priority": "high"}},
    ),
    "issue_list": (signed_in, {"get": no_body}),
    "case_import": (
        allowed_if(user_can_import_cases),
        {"get": no_body, "post": lambda world: {"file_format": "generic"}},
    ),
    "case_import_detail": (allowed_if(user_can_import_cases), {"get": no_body}),
    "case_import_status": (allowed_if(user_can_import_cases), {"get": no_body}),
    "case_import_rejections_csv": (allowed_if(user_can_import_cases), {"get": no_body}),
    "issue_detail": (issue_visible, {"get": no_body}),
    "issue_propose_fix": (
        writes_issues_on_a_visible_issue,
        {"post": lambda world: {"department": Department.objects.get(slug="billing").pk, "description": "Refund."}},
    ),
    "issue_close": (writes_issues_on_a_visible_issue, {"post": lambda world: {"note": "done"}}),
    "issue_reopen": (writes_issues_on_a_visible_issue, {"post": lambda world: {"note": "again"}}),
    "issue_known_error": (
        writes_issues_on_a_visible_issue,
        {"post": lambda world: {"root_cause": "Drivers skip the door.", "workaround": "Offer a redelivery."}},
    ),
    # The fix page reads the fix (its impact and history): whoever fix_list_visible shows it to; others get 404.
    "fix_detail": (fix_visible("proposed"), {"get": no_body}),
    "fix_transition": (
        decides_on_fix,
        {
            "post": lambda world: {
                "note": "",
                "reason": "too costly",
                "shipped_on": timezone.localdate().isoformat(),
                "description": "Photograph it.",
            }
        },
    ),
}
# The fix page's actions: an owner's decisions (the fix_transition rule), and a lead's withdraw or edit.
FIX_ACTIONS = ("accept", "reject", "start", "ship", "withdraw", "edit")
LEAD_FIX_ACTIONS = {"withdraw": writes_issues_on_a_visible_proposal, "edit": writes_issues_on_a_visible_proposal}


# --- what is swept ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request of the sweep: a schema operation or a page, the method, and which department's row it names."""

    key: str
    method: str
    path_template: str
    department: str | None = None
    action: str | None = None

    @property
    def is_api(self) -> bool:
        return self.path_template.startswith("/api/")

    def __str__(self) -> str:
        target = f"[{self.department}]" if self.department else ""
        action = f"[{self.action}]" if self.action else ""
        return f"{self.method.upper()} {self.path_template}{target}{action}"


def _schema_operations() -> dict[str, tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]: (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def _url_patterns(patterns=None, prefix: str = "") -> Iterator[tuple[str, str | None]]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def _page_patterns() -> dict[str, str]:
    """Page URL name -> route, for every URL outside the admin and the API."""
    return {
        name: "/" + route
        for route, name in _url_patterns()
        if not route.startswith(("admin/", "api/")) and name is not None
    }


def _api_names_outside_the_schema() -> set[str]:
    """URL names under api/ that are neither a router route (swept through the schema) nor the impact view."""
    return {
        name
        for route, name in _url_patterns()
        if route.startswith("api/") and "^" not in route and name not in {"fix-impact", "api-token"}
    }


def _departments_for(path: str) -> tuple[str | None, ...]:
    return DEPARTMENTS if re.search(r"/(fixes|issues)/\{|<int:(issue|fix)_id>", path) else (None,)


def sweep_requests() -> list[Request]:
    requests = []
    for operation_id, (method, path) in sorted(_schema_operations().items()):
        for department in _departments_for(path):
            requests.append(Request(operation_id, method, path, department))
    for name in sorted(_api_names_outside_the_schema()):
        requests.append(Request(name, "get", API_EXTRA_PATHS[name]))
    for name, route in sorted(_page_patterns().items()):
        methods = PAGE_RULES[name][1] if name in PAGE_RULES else {"get": no_body}
        for method in methods:
            for department in _departments_for(route):
                for action in FIX_ACTIONS if "<slug:action>" in route else (None,):
                    requests.append(Request(name, method, route, department, action))
    return requests


def request_path(request: Request, world: World) -> str:
    department = request.department
    fix = (world.shipped if request.key in {"fixes_retrieve", "fixes_impact_retrieve"} else world.proposed).get(
        department
    )
    values = {
        "cases": world.case_ids[0],
        "clustering-runs": world.run.pk,
        "curation-jobs": world.curation_job.pk,
        "departments": Department.objects.get(slug="logistics").pk,
        "themes": world.theme.pk,
        "theme-groups": world.group.pk,
        "issues": world.issues[department].pk if department else None,
        "fixes": fix.pk if fix else None,
    }
    path = re.sub(
        r"/([a-z-]+)/\{(?:id|fix_id)\}", lambda match: f"/{match[1]}/{values[match[1]]}", request.path_template
    )
    path = path.replace("<int:theme_id>", str(world.theme.pk))
    path = path.replace("<int:import_id>", str(world.case_import.pk))
    path = path.replace("<int:group_id>", str(world.group.pk))
    path = path.replace("<int:job_id>", str(world.curation_job.pk))
    if department:
        path = path.replace("<int:issue_id>", str(world.issues[department].pk))
        path = path.replace("<int:fix_id>", str(world.proposed[department].pk))
    if request.action:
        path = path.replace("<slug:action>", request.action)
    assert "{" not in path and "<" not in path, path
    return path


# --- what stored data looks like -------------------------------------------------------------------------------


def stored_fingerprint() -> str:
    """A digest of every row of every table but the unguarded ones (sessions, django-axes' log)."""
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(include_auto_created=True), key=lambda model: model._meta.db_table):
        if model._meta.db_table in UNGUARDED_TABLES or not model._meta.managed:
            continue
        digest.update(model._meta.db_table.encode())
        for row in model._default_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def client_for(identity: str, *, api: bool):
    if identity == "anonymous":
        return APIClient() if api else Client()
    user = User.objects.get(username=identity)
    if api:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client
    client = Client()
    client.force_login(user)
    return client


def user_for(identity: str) -> User | AnonymousUser:
    return AnonymousUser() if identity == "anonymous" else User.objects.get(username=identity)


def rule_for(request: Request) -> tuple[Rule, dict]:
    if request.action in LEAD_FIX_ACTIONS:
        return LEAD_FIX_ACTIONS[request.action], {}
    if request.key in API_RULES:
        return API_RULES[request.key][0], {}
    if request.key in API_EXTRA_RULES:
        return API_EXTRA_RULES[request.key], {}
    return PAGE_RULES[request.key][0], {}


def body_for(request: Request, world: World) -> dict:
    if request.key in API_RULES:
        return API_RULES[request.key][1](world)
    if request.key in PAGE_RULES:
        return PAGE_RULES[request.key][1][request.method](world)
    return {}


def outcome(request: Request, response) -> str:
    """What the answer says: allowed, refused, hidden (404), or a server error (logging out lands on the login
    page by design, which is no refusal there)."""
    status = response.status_code
    to_login = status == 302 and response["Location"].startswith(LOGIN_PATH) and request.key != "logout"
    if status >= 500:
        return "server error"
    if status == 404:
        return "hidden"
    if status in (401, 403) or to_login:
        return "refused"
    if 200 <= status < 400 or status in (400, 409):
        return "allowed"
    return f"unexpected {status}"


ALL_REQUESTS = sweep_requests()


def test_every_api_operation_and_page_has_a_rule():
    operations = set(_schema_operations())
    pages = set(_page_patterns())

    assert operations - set(API_RULES) == set(), "schema operations without a rule in API_RULES"
    assert set(API_RULES) - operations == set(), "rules in API_RULES for operations the schema no longer has"
    assert _api_names_outside_the_schema() == set(API_EXTRA_RULES)
    assert pages - set(PAGE_RULES) == set(), "pages without a rule in PAGE_RULES"
    assert set(PAGE_RULES) - pages == set()


def test_the_sweep_covers_every_operation_for_every_identity():
    assert len(_schema_operations()) == 49
    # API: 49 operations (34; + accept-label, a theme's group, and 6 of theme groups: list, create, retrieve,
    # rename, delete, propose; + split-selection, the curation jobs' list and detail, and an issue's link-cases;
    # + seed, snooze and unsnooze), 13 of them sent for a Logistics and a Billing row, and 4 URLs outside the
    # schema (the root, the schema, Swagger UI and ReDoc): 49 + 13 + 4 = 66; pages: 41 (28; + accept-label, a
    # theme's group, and the group pages create, propose, rename, delete; + the case browser, its selection action,
    # a curation job's page and its status; + seed, snooze, unsnooze), login, raise-issue, the import page and the
    # seed page by GET and POST, 5 issue pages for both departments' issues, the fix page (fix_detail) for both
    # departments' fixes, and the fix action URL for 6 actions (4 owner decisions, a lead's withdraw and edit)
    # x 2 departments: 41 + 4 + 5 + 1 + 11 = 62. 66 + 62 = 128 requests, x 8 identities = 1024.
    assert len(ALL_REQUESTS) == 128
    assert len(ALL_REQUESTS) * len(IDENTITIES) == 1024


@pytest.mark.parametrize("request_", ALL_REQUESTS, ids=str)
def test_each_identity_gets_what_the_permission_rule_says(request_: Request, settings):
    settings.CASES_EMBED_ON_INGEST = False
    world = world_create()
    rule, _ = rule_for(request_)
    answers = {}
    for identity in IDENTITIES:
        expected = rule(user_for(identity), world, request_.department)
        client = client_for(identity, api=request_.is_api)
        guarded = expected is not Expect.ALLOW
        before = stored_fingerprint() if guarded else ""
        send = getattr(client, request_.method)
        body = body_for(request_, world)
        if request_.is_api and request_.method != "get":
            response = send(request_path(request_, world), body, format="json")
        else:
            response = send(request_path(request_, world), body)
        got = outcome(request_, response)
        changed = guarded and stored_fingerprint() != before
        answers[identity] = (expected.value, got, response.status_code, changed)
    wrong = {
        identity: answer
        for identity, answer in answers.items()
        if not (
            answer[1] == answer[0]
            or (answer[0] == "refused" and answer[1] == "hidden")
            or (answer[0] == "hidden" and answer[1] == "hidden")
        )
        or (answer[0] != "allowed" and answer[3])
    }
    assert wrong == {}, f"{request_}: identity -> (expected, got, status, stored data changed)"


def test_the_stored_fingerprint_changes_with_any_guarded_row_and_not_with_a_session():
    world = world_create()
    before = stored_fingerprint()
    SessionStore().create()
    after_login = stored_fingerprint()
    FixTicket.objects.filter(pk=world.proposed["billing"].pk).update(status="accepted")

    assert after_login == before
    assert stored_fingerprint() != before
