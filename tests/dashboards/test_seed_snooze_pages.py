"""The seed-themes page (pasted list or CSV upload) and the snooze and unsnooze buttons of a theme's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from improvement.models import Theme, ThemeEvent
from tests.improvement.workflow_factories import ThemeFactory

pytestmark = pytest.mark.django_db


def _labels() -> list[str]:
    return sorted(Theme.objects.values_list("label", flat=True))


def test_seed_page_seeds_a_pasted_list(client, team_lead):
    client.force_login(team_lead)

    response = client.post("/themes/seed/", {"taxonomy": "Lost parcel,Never arrived,parcel gone|no parcel\nRefunds\n"})

    assert (response.status_code, response["Location"]) == (302, "/dashboards/themes/")
    parcel = Theme.objects.get(label="Lost parcel")
    assert (parcel.is_seeded, parcel.description, parcel.seed_examples) == (
        True,
        "Never arrived",
        ["parcel gone", "no parcel"],
    )
    assert _labels() == ["Lost parcel", "Refunds"]


def test_seed_page_seeds_an_uploaded_csv(client, team_lead):
    client.force_login(team_lead)
    upload = SimpleUploadedFile("taxonomy.csv", b"name,description,examples\nRefunds,Money back,refund please\n")

    response = client.post("/themes/seed/", {"file": upload})

    assert response.status_code == 302
    assert list(Theme.objects.values_list("label", "seed_examples")) == [("Refunds", ["refund please"])]


def test_seed_page_refuses_a_duplicate_name_with_400_and_stores_nothing(client, team_lead):
    ThemeFactory(label="Refunds")
    client.force_login(team_lead)

    response = client.post("/themes/seed/", {"taxonomy": "Lost parcel\nrefunds\n"})

    assert response.status_code == 400
    assert "Nothing seeded: A theme named “refunds” already exists." in response.content.decode()
    assert _labels() == ["Refunds"]


def test_seed_page_refuses_an_empty_form_with_400(client, team_lead):
    client.force_login(team_lead)

    response = client.post("/themes/seed/", {"taxonomy": "  "})

    assert response.status_code == 400
    assert "Paste a list of themes or choose a CSV file." in response.content.decode()


@pytest.mark.parametrize("role", ["executive", "department_owner"])
def test_seed_page_is_refused_to_executives_and_owners(client, role, request):
    client.force_login(request.getfixturevalue(role))

    assert client.get("/themes/seed/").status_code == 403
    assert client.post("/themes/seed/", {"taxonomy": "Refunds"}).status_code == 403
    assert _labels() == []


def test_theme_page_snoozes_until_a_date_and_unsnoozes(client, team_lead):
    theme = ThemeFactory()
    day = timezone.localdate() + dt.timedelta(days=10)
    client.force_login(team_lead)

    snoozed = client.post(f"/themes/{theme.pk}/snooze/", {"until": "date", "day": day.isoformat()})
    theme.refresh_from_db()
    snoozed_state = (theme.snooze_kind, theme.snoozed_until)
    back = client.post(f"/themes/{theme.pk}/unsnooze/")
    theme.refresh_from_db()

    assert (snoozed.status_code, back.status_code) == (302, 302)
    assert snoozed_state == ("date", day)
    assert theme.snooze_kind == ""
    assert list(ThemeEvent.objects.filter(theme=theme).order_by("id").values_list("kind", "actor")) == [
        ("snoozed", team_lead.pk),
        ("unsnoozed", team_lead.pk),
    ]


def test_theme_page_refuses_a_date_snooze_without_a_date_with_400(client, team_lead):
    theme = ThemeFactory()
    client.force_login(team_lead)

    response = client.post(f"/themes/{theme.pk}/snooze/", {"until": "date"})

    assert response.status_code == 400
    assert "Choose the date the theme comes back." in response.content.decode()
    theme.refresh_from_db()
    assert theme.snooze_kind == ""


@pytest.mark.parametrize("role", ["executive", "department_owner"])
def test_snooze_buttons_are_refused_to_executives_and_owners(client, role, request):
    theme = ThemeFactory()
    client.force_login(request.getfixturevalue(role))

    assert client.post(f"/themes/{theme.pk}/snooze/", {"until": "escalation"}).status_code == 403
    assert client.post(f"/themes/{theme.pk}/unsnooze/").status_code == 403
    theme.refresh_from_db()
    assert theme.snooze_kind == ""
