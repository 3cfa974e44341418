"""Seeding and snoozing through the API: POST /api/themes/seed/, /api/themes/{id}/snooze/ and /unsnooze/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from improvement.models import Theme, ThemeEvent
from tests.improvement.workflow_factories import ThemeFactory

pytestmark = pytest.mark.django_db


def test_seed_answers_201_with_the_themes_made(api_client, team_lead):
    api_client.force_authenticate(team_lead)

    response = api_client.post(
        "/api/themes/seed/",
        {
            "themes": [
                {"name": "Lost luggage", "description": "Bags that did not arrive", "examples": ["bag missing"]},
                {"name": "Refunds"},
            ]
        },
        format="json",
    )

    assert response.status_code == 201
    assert [
        (row["label"], row["is_seeded"], row["description"], row["seed_examples"], row["size"], row["status"])
        for row in response.data
    ] == [
        ("Lost luggage", True, "Bags that did not arrive", ["bag missing"], 0, "active"),
        ("Refunds", True, "", [], 0, "active"),
    ]
    assert sorted(Theme.objects.values_list("label", flat=True)) == ["Lost luggage", "Refunds"]


@pytest.mark.parametrize("role", ["executive", "department_owner"])
def test_seed_is_refused_to_executives_and_owners(api_client, role, request):
    api_client.force_authenticate(request.getfixturevalue(role))

    response = api_client.post("/api/themes/seed/", {"themes": [{"name": "Refunds"}]}, format="json")

    assert response.status_code == 403
    assert Theme.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"themes": [{"name": "Refunds"}, {"name": ""}]}, "themes.1.name"),
        ({"themes": [{"name": "Refunds"}, {"name": "REFUNDS"}]}, "themes.1.name"),
        ({"themes": [{"name": "Existing"}]}, "themes.0.name"),
        ({"themes": [{"name": "Refunds", "examples": ["x" * 301]}]}, "themes.0.examples.0"),
        ({"themes": []}, "themes"),
        ({}, "themes"),
    ],
)
def test_seed_refuses_bad_input_with_400_naming_the_field(api_client, team_lead, body, field):
    ThemeFactory(label="Existing")
    api_client.force_authenticate(team_lead)

    response = api_client.post("/api/themes/seed/", body, format="json")

    assert response.status_code == 400
    assert list(response.data["fields"]) == [field]
    assert list(Theme.objects.values_list("label", flat=True)) == ["Existing"]


def test_snooze_hides_the_theme_from_the_default_list_and_the_filter_shows_it(api_client, team_lead):
    kept, snoozed = ThemeFactory(label="Kept"), ThemeFactory(label="Snoozed")
    api_client.force_authenticate(team_lead)

    response = api_client.post(f"/api/themes/{snoozed.pk}/snooze/", {"until": "escalation"}, format="json")

    assert response.status_code == 200
    assert (response.data["snooze_kind"], response.data["snoozed_until"], response.data["is_escalating"]) == (
        "escalation",
        None,
        False,
    )
    assert [row["id"] for row in api_client.get("/api/themes/").data["results"]] == [kept.pk]
    assert [row["id"] for row in api_client.get("/api/themes/", {"snoozed": "true"}).data["results"]] == [snoozed.pk]
    assert api_client.get(f"/api/themes/{snoozed.pk}/").status_code == 200
    assert ThemeEvent.objects.get(theme=snoozed).actor == team_lead


def test_snooze_until_a_date_then_unsnooze(api_client, team_lead):
    theme = ThemeFactory()
    day = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    api_client.force_authenticate(team_lead)

    snoozed = api_client.post(f"/api/themes/{theme.pk}/snooze/", {"until": day}, format="json")
    back = api_client.post(f"/api/themes/{theme.pk}/unsnooze/")
    again = api_client.post(f"/api/themes/{theme.pk}/unsnooze/")

    assert (snoozed.status_code, snoozed.data["snooze_kind"], snoozed.data["snoozed_until"]) == (200, "date", day)
    assert (back.status_code, back.data["snooze_kind"], back.data["snoozed_until"]) == (200, "", None)
    assert (again.status_code, again.data["code"]) == (409, "conflict")
    assert list(ThemeEvent.objects.filter(theme=theme).order_by("id").values_list("kind", flat=True)) == [
        "snoozed",
        "unsnoozed",
    ]


@pytest.mark.parametrize("until", ["later", "2020-01-01", ""])
def test_snooze_refuses_a_bad_until_with_400_naming_it(api_client, team_lead, until):
    theme = ThemeFactory()
    api_client.force_authenticate(team_lead)

    response = api_client.post(f"/api/themes/{theme.pk}/snooze/", {"until": until}, format="json")

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["until"]
    theme.refresh_from_db()
    assert theme.snooze_kind == ""


@pytest.mark.parametrize("role", ["executive", "department_owner"])
@pytest.mark.parametrize("action", ["snooze", "unsnooze"])
def test_snooze_and_unsnooze_are_refused_to_executives_and_owners(api_client, role, action, request, team_lead):
    theme = ThemeFactory()
    api_client.force_authenticate(request.getfixturevalue(role))

    response = api_client.post(f"/api/themes/{theme.pk}/{action}/", {"until": "escalation"}, format="json")

    assert response.status_code == 403
    theme.refresh_from_db()
    assert theme.snooze_kind == ""


def test_theme_list_refuses_a_bad_snoozed_filter(api_client, team_lead):
    api_client.force_authenticate(team_lead)

    response = api_client.get("/api/themes/", {"snoozed": "maybe"})

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["snoozed"]
