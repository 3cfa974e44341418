"""Schemathesis over the whole API (the drf-spectacular schema at /api/schema/), as a team lead and as a
department owner with token auth: no server error, and every response conforms to the schema (status code,
content type, headers, body). The run is bounded (SCHEMATHESIS_MAX_EXAMPLES per operation, derandomised so CI
repeats it) and each request runs in a savepoint rolled back afterwards, so generated writes never pile up.
The counts per role go to stdout and test-artifacts/schemathesis-<role>.txt (last line `key=value ...`).
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from improvement.models import ClusteringRun
from tests.factories import DepartmentFactory, DepartmentOwnerFactory, TeamLeadFactory
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory, cases_for_theme

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
MAX_COVERAGE_CASES = int(os.environ.get("SCHEMATHESIS_MAX_COVERAGE_CASES", "100"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Tally:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    operations: int = 0
    not_generated: list[str] = field(default_factory=list)


@contextlib.contextmanager
def wsgi_app_inside_the_test_transaction() -> Iterator[WSGIHandler]:
    """Django's WSGI handler, minus the per-request connection recycling (as Django's own test client does):
    the requests run on the test's connection and inside its transaction, on SQLite and PostgreSQL alike."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_users(db):
    """A lead and a department owner, with a little of everything for them to read and act on."""
    owner = DepartmentOwnerFactory(username="owner-logistics")
    lead = TeamLeadFactory(username="lead")
    department = DepartmentFactory(name="Logistics", owners=[owner])
    themes = [ThemeFactory() for _ in range(3)]
    start = datetime.datetime(2026, 10, 1, 9, tzinfo=datetime.UTC)
    for theme in themes:
        cases_for_theme(theme=theme, received=[start + datetime.timedelta(days=day) for day in range(0, 40, 3)])
    issue = IssueFactory(themes=themes[:2])
    for status in ("proposed", "accepted", "in_progress", "shipped"):
        FixFactory(issue=issue, department=department, status=status)
    ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED, trigger=ClusteringRun.Trigger.NIGHTLY)
    ClusteringRun.objects.create(status=ClusteringRun.Status.FAILED, requested_by=lead, error="boom")
    return {"lead": lead, "owner": owner}


def _raw_schema(user) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _send(case, headers: dict[str, str], tally: Tally) -> None:
    """One request, checked; in a savepoint rolled back afterwards, so no generated write stays."""
    with transaction.atomic():
        response = case.call(headers=headers)
        tally.requests += 1
        label = f"{case.method} {case.formatted_path} {case.query or ''}"
        if response.status_code >= 500:
            tally.server_errors.append(f"{label} -> {response.status_code} {response.text[:300]}")
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, FailureGroup) as failure:  # noqa: BLE001 - every failure is recorded, reported together
            tally.violations.append(f"{label} -> {response.status_code}: {str(failure)[:600]}")
        transaction.set_rollback(True)


def _exercise_coverage(schema, operation, headers: dict[str, str], tally: Tally) -> None:
    """Schemathesis' coverage phase: boundary and just-invalid values of every parameter (edge dates included)."""
    cases = schema.iter_coverage_cases(
        operation,
        generation_modes=list(GenerationMode),
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
    )
    for case in itertools.islice(cases, MAX_COVERAGE_CASES):
        _send(case, headers, tally)


def _exercise_fuzzing(operation, mode: GenerationMode, headers: dict[str, str], tally: Tally) -> None:
    """Schemathesis' fuzzing phase: random valid (positive) or invalid (negative) requests."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def one_request(case) -> None:
        _send(case, headers, tally)

    try:
        one_request()
    except Unsatisfiable:
        # No invalid input exists for this operation (e.g. no parameters and no body): nothing to send.
        tally.not_generated.append(f"{mode.value} {operation.label}")


@pytest.mark.parametrize("role", ["lead", "owner"])
def test_the_api_answers_within_its_schema_and_without_server_errors(api_users, role):
    user = api_users[role]
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    schema = schemathesis.openapi.from_dict(_raw_schema(user))
    tally = Tally()

    with wsgi_app_inside_the_test_transaction() as app:
        schema.app = app
        for result in schema.get_all_operations():
            tally.operations += 1
            operation = result.ok()
            _exercise_coverage(schema, operation, headers, tally)
            for mode in GenerationMode:
                _exercise_fuzzing(operation, mode, headers, tally)

    summary = (
        f"role={role} operations={tally.operations} requests={tally.requests} "
        f"server_errors={len(tally.server_errors)} violations={len(tally.violations)} "
        f"not_generated={len(tally.not_generated)}"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    report = "\n".join([*tally.server_errors, *tally.violations, summary])
    (ARTIFACTS / f"schemathesis-{role}.txt").write_text(report + "\n", encoding="utf-8")
    print(report)
    assert tally.requests >= tally.operations * 4
    assert (tally.server_errors, tally.violations) == ([], [])
