"""The theme page's history actors and suggested label, and the Themes page's group tree and group forms."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from improvement.models import ClusteringRun, Theme, ThemeEvent, ThemeGroup
from improvement.themes.services.curation import theme_rename
from improvement.themes.services.groups import theme_group_create
from tests.improvement.workflow_factories import ThemeFactory, cases_for_theme

pytestmark = pytest.mark.django_db


def _text(page) -> str:
    """The words of a page (a response or HTML), tags dropped and spaces collapsed."""
    html = page if isinstance(page, str) else page.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_theme_history_says_which_person_or_clustering_run_did_each_change(client, team_lead):
    run = ClusteringRun.objects.create(status=ClusteringRun.Status.SUCCEEDED)
    theme = ThemeFactory(label="parcel, delivered, marked")
    ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.CREATED, run=run)
    theme_rename(theme=theme, label="Parcel marked delivered but never arrived", by=team_lead)
    client.force_login(team_lead)

    text = _text(client.get(f"/themes/{theme.pk}/"))

    assert "Renamed “parcel, delivered, marked” → “Parcel marked delivered but never arrived” by lead-user" in text
    assert f"Created by clustering run #{run.pk}" in text


def test_lead_accepts_the_suggested_label_with_one_click(client, team_lead):
    theme = ThemeFactory(label="parcel, delivered, marked", suggested_label="Parcel marked delivered")
    client.force_login(team_lead)

    shown = _text(client.get(f"/themes/{theme.pk}/"))
    response = client.post(f"/themes/{theme.pk}/accept-label/")

    theme.refresh_from_db()
    assert "The last clustering run suggests the name “Parcel marked delivered”" in shown
    assert response.status_code == 302
    assert (theme.label, theme.suggested_label) == ("Parcel marked delivered", "")
    assert list(ThemeEvent.objects.filter(theme=theme).values_list("kind", "actor__username", "data")) == [
        (
            "renamed",
            "lead-user",
            {"from": "parcel, delivered, marked", "to": "Parcel marked delivered", "accepted_suggestion": True},
        )
    ]


def test_accepting_without_a_suggestion_answers_409_and_keeps_the_label(client, team_lead):
    theme = ThemeFactory(label="Parcel late")
    client.force_login(team_lead)

    response = client.post(f"/themes/{theme.pk}/accept-label/")

    assert response.status_code == 409
    assert "has no suggested label to accept" in _text(response)
    assert Theme.objects.get(pk=theme.pk).label == "Parcel late"


def test_themes_page_shows_groups_as_a_tree_with_rolled_up_volume_and_trend(client, team_lead):
    now = timezone.now()
    parcel, refund, login = (ThemeFactory(label=label) for label in ("Parcel late", "Refund late", "App login"))
    cases_for_theme(theme=parcel, received=[now - dt.timedelta(days=day) for day in (0, 1, 8)])
    cases_for_theme(theme=refund, received=[now - dt.timedelta(days=day) for day in (2, 3, 9)])
    cases_for_theme(theme=login, received=[now])
    group = theme_group_create(name="Deliveries and refunds", themes=[parcel, refund], by=team_lead)
    client.force_login(team_lead)

    response = client.get("/dashboards/themes/")

    html = response.content.decode()
    group_start = html.index(f'<li id="group-{group.pk}"')
    ungrouped_start = html.index('<li class="tree-group" id="group-none"')
    tree = _text(html[group_start:ungrouped_start])
    ungrouped = _text(html[ungrouped_start : html.index("<form", ungrouped_start)])
    assert response.status_code == 200
    assert tree == (
        "Deliveries and refunds · 2 themes · 6 contacts · 2 → 4 +100% Parcel late 3 contacts Refund late 3 contacts "
        "Name Rename group"
    )
    assert ungrouped == "Not in a group · 1 theme App login 1 contacts"


def test_lead_groups_and_renames_from_the_themes_page_and_a_bad_name_answers_400(client, team_lead):
    parcel, refund = ThemeFactory(label="Parcel late"), ThemeFactory(label="Refund late")
    client.force_login(team_lead)

    created = client.post("/dashboards/theme-groups/", {"name": "Deliveries", "themes": [parcel.pk, refund.pk]})
    group = ThemeGroup.objects.get()
    renamed = client.post(f"/dashboards/theme-groups/{group.pk}/rename/", {"name": "Parcels"})
    refused = client.post(f"/dashboards/theme-groups/{group.pk}/rename/", {"name": ""})

    assert (created.status_code, renamed.status_code, refused.status_code) == (302, 302, 400)
    assert "Not changed: name: This field is required." in _text(refused)
    assert ThemeGroup.objects.get().name == "Parcels"
    assert sorted(group.themes.values_list("id", flat=True)) == sorted([parcel.pk, refund.pk])


def test_owner_may_not_create_a_group_from_the_page(client, department_owner):
    theme = ThemeFactory()
    client.force_login(department_owner)

    response = client.post("/dashboards/theme-groups/", {"name": "Mine", "themes": [theme.pk]})

    assert response.status_code == 403
    assert ThemeGroup.objects.count() == 0
