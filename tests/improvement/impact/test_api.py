from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from improvement.impact.services.evaluation import fix_impact_evaluate
from improvement.models import FixImpact, FixTicket
from tests.factories import DepartmentFactory, DepartmentOwnerFactory, TeamLeadFactory
from tests.improvement.impact_data import PRE_DAYS, SHIP_DATE, levels, volume_rows_create
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    logistics_owner = DepartmentOwnerFactory(username="owner-logistics")
    billing_owner = DepartmentOwnerFactory(username="owner-billing")
    DepartmentFactory(name="Logistics", owners=[logistics_owner])
    DepartmentFactory(name="Billing", owners=[billing_owner])
    lead = TeamLeadFactory(username="lead")
    return {"logistics_owner": logistics_owner, "billing_owner": billing_owner, "lead": lead}


@pytest.fixture
def working_fix(people):
    from improvement.models import Department

    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (35, 24.0)))
    issue = IssueFactory(themes=[theme], title="Parcels marked delivered", status="fix_shipped")
    return FixFactory(
        issue=issue,
        department=Department.objects.get(slug="logistics"),
        status=FixTicket.Status.SHIPPED,
        shipped_on=SHIP_DATE,
    )


def _row_counts() -> dict[str, int]:
    """Rows of every model of our apps (audit events included)."""
    return {
        model._meta.label: model.objects.count()
        for config in (apps.get_app_config("cases"), apps.get_app_config("improvement"))
        for model in config.get_models()
    }


def test_impact_is_computed_on_demand_and_returned(api_client, people, working_fix):
    api_client.force_authenticate(people["lead"])

    response = api_client.get(f"/api/fixes/{working_fix.pk}/impact/")

    assert response.status_code == 200
    body = response.json()
    assert (body["fix"], body["verdict"], body["is_provisional"], body["post_days_observed"]) == (
        working_fix.pk,
        "working",
        False,
        28,
    )
    assert body["ci_high"] < 0 and len(body["dates"]) == len(body["counterfactual"]) == 28


def test_reading_the_impact_changes_nothing_in_the_database(
    api_client, people, working_fix, mailoutbox, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(people["lead"])
    before = _row_counts()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_client.get(f"/api/fixes/{working_fix.pk}/impact/")

    assert response.status_code == 200
    assert response.json()["verdict"] == "working"
    assert _row_counts() == before
    assert before["improvement.FixImpact"] == 0 and before["improvement.IssueEvent"] == 0
    assert FixTicket.objects.get(pk=working_fix.pk).status == "shipped"
    assert (callbacks, mailoutbox) == ([], [])


def test_impact_returns_the_stored_estimate_without_recomputing(api_client, people, working_fix):
    api_client.force_authenticate(people["lead"])
    stored = fix_impact_evaluate(fix=working_fix)
    first = api_client.get(f"/api/fixes/{working_fix.pk}/impact/").json()

    second = api_client.get(f"/api/fixes/{working_fix.pk}/impact/").json()

    assert first["computed_at"] == second["computed_at"] == stored.computed_at.isoformat().replace("+00:00", "Z")
    assert FixImpact.objects.filter(fix=working_fix).count() == 1


def test_impact_is_visible_to_an_owner_of_the_fix_department(api_client, people, working_fix):
    api_client.force_authenticate(people["logistics_owner"])

    assert api_client.get(f"/api/fixes/{working_fix.pk}/impact/").status_code == 200


def test_impact_is_hidden_from_an_owner_of_another_department(api_client, people, working_fix):
    api_client.force_authenticate(people["billing_owner"])

    response = api_client.get(f"/api/fixes/{working_fix.pk}/impact/")

    assert response.status_code == 404
    assert not FixImpact.objects.exists()


def test_impact_of_an_unshipped_fix_answers_409_with_the_reason(api_client, people):
    from improvement.models import Department

    fix = FixFactory(department=Department.objects.get(slug="logistics"), status=FixTicket.Status.ACCEPTED)
    api_client.force_authenticate(people["lead"])

    response = api_client.get(f"/api/fixes/{fix.pk}/impact/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"fix {fix.pk} is accepted, not shipped: nothing to measure yet",
        "code": "conflict",
        "fields": {},
    }


def test_impact_of_a_missing_fix_answers_404(api_client, people):
    api_client.force_authenticate(people["lead"])

    assert api_client.get("/api/fixes/999999/impact/").status_code == 404


def test_impact_needs_a_sign_in(api_client, working_fix):
    assert api_client.get(f"/api/fixes/{working_fix.pk}/impact/").status_code in (401, 403)


def test_impact_report_prints_verdict_effect_and_the_post_window(working_fix):
    output = io.StringIO()

    call_command("impact_report", "--fix", str(working_fix.pk), stdout=output)

    impact = FixImpact.objects.get(fix=working_fix)
    lines = output.getvalue().splitlines()
    issue_id = working_fix.issue_id
    assert lines[0] == f'Fix {working_fix.pk} (Logistics) for issue #{issue_id} "Parcels marked delivered"'
    assert lines[1].startswith(f"Status: Working; shipped on {SHIP_DATE.isoformat()}")
    assert lines[2].startswith("Verdict: Working, computed ")
    assert lines[3] == (
        f"Effect: {impact.relative_effect:+.1%} (94% interval {impact.ci_low:+.1%} to {impact.ci_high:+.1%}), "
        f"p = {impact.p_value:.3f}"
    )
    assert lines[4].startswith(f"Contacts avoided: {impact.contacts_avoided:.0f} (")
    assert lines[6].split() == ["day", "actual", "expected", "95%", "band"]
    assert lines[7].split()[:2] == [SHIP_DATE.isoformat(), str(impact.actual[0])]
    assert len(lines) == 8 + 27


def test_impact_report_refuses_an_unknown_fix(db):
    with pytest.raises(CommandError, match="no fix with id 424242"):
        call_command("impact_report", "--fix", "424242")


def test_impact_report_says_why_an_unshipped_fix_cannot_be_measured(people):
    from improvement.models import Department

    fix = FixFactory(department=Department.objects.get(slug="logistics"), status=FixTicket.Status.PROPOSED)

    with pytest.raises(CommandError, match=f"fix {fix.pk} cannot be measured: fix {fix.pk} is proposed, not shipped"):
        call_command("impact_report", "--fix", str(fix.pk))
