"""Theme groups: services (create, rename, move a theme, delete, propose) and the /api/theme-groups/ endpoints."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from cases.embedding import embedding_to_bytes
from improvement.errors import Invalid, NotAllowed, ThemeStateError
from improvement.models import Theme, ThemeEvent, ThemeGroup
from improvement.themes.services.groups import (
    theme_group_create,
    theme_group_delete,
    theme_group_rename,
    theme_groups_propose,
    theme_move_to_group,
)
from tests.improvement.workflow_factories import ThemeFactory, cases_for_theme

pytestmark = pytest.mark.django_db


def _events(kind: str) -> list[tuple]:
    return list(
        ThemeEvent.objects.filter(kind=kind)
        .order_by("id")
        .values_list("theme_id", "group_id", "actor__username", "run_id", "data")
    )


def test_group_create_moves_the_themes_in_and_records_who(team_lead):
    parcel, refund, login = ThemeFactory(label="Parcel late"), ThemeFactory(label="Refund late"), ThemeFactory()

    group = theme_group_create(name="  Deliveries ", themes=[parcel, refund], by=team_lead)

    assert group.name == "Deliveries"
    assert list(group.themes.order_by("id").values_list("id", flat=True)) == [parcel.pk, refund.pk]
    assert Theme.objects.get(pk=login.pk).group_id is None
    assert _events("group_created") == [
        (None, group.pk, "lead-user", None, {"name": "Deliveries", "themes": [parcel.pk, refund.pk]})
    ]
    assert _events("regrouped") == [
        (parcel.pk, group.pk, "lead-user", None, {"from_group": None, "to_group": group.pk}),
        (refund.pk, group.pk, "lead-user", None, {"from_group": None, "to_group": group.pk}),
    ]


def test_group_rename_records_the_change_on_the_group_and_its_themes(team_lead):
    theme = ThemeFactory()
    group = theme_group_create(name="Deliveries", themes=[theme], by=team_lead)

    theme_group_rename(group=group, name="Parcels", by=team_lead)

    assert ThemeGroup.objects.get(pk=group.pk).name == "Parcels"
    assert _events("group_renamed") == [
        (None, group.pk, "lead-user", None, {"from": "Deliveries", "to": "Parcels"}),
        (theme.pk, group.pk, "lead-user", None, {"from": "Deliveries", "to": "Parcels"}),
    ]


def test_moving_a_theme_between_groups_and_out_of_any(team_lead):
    theme = ThemeFactory()
    first = theme_group_create(name="First", themes=[theme], by=team_lead)
    second = theme_group_create(name="Second", by=team_lead)

    theme_move_to_group(theme=theme, group=second, by=team_lead)
    moved = Theme.objects.get(pk=theme.pk).group_id
    theme_move_to_group(theme=theme, group=None, by=team_lead)

    assert (moved, Theme.objects.get(pk=theme.pk).group_id) == (second.pk, None)
    assert [row[4] for row in _events("regrouped")] == [
        {"from_group": None, "to_group": first.pk},
        {"from_group": first.pk, "to_group": second.pk},
        {"from_group": second.pk, "to_group": None},
    ]


def test_deleting_refuses_a_group_with_themes_and_deletes_an_empty_one(team_lead):
    theme = ThemeFactory()
    group = theme_group_create(name="Deliveries", themes=[theme], by=team_lead)

    with pytest.raises(ThemeStateError, match=f"still holds themes {theme.pk}"):
        theme_group_delete(group=group, by=team_lead)
    theme_move_to_group(theme=theme, group=None, by=team_lead)
    theme_group_delete(group=group, by=team_lead)

    assert ThemeGroup.objects.count() == 0
    assert _events("group_deleted") == [(None, None, "lead-user", None, {"group": group.pk, "name": "Deliveries"})]


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "The group name must not be empty."), ("x" * 201, "The group name must be at most 200 characters.")],
)
def test_group_create_refuses_a_bad_name_naming_the_field_and_stores_nothing(team_lead, name, message):
    theme = ThemeFactory()

    with pytest.raises(Invalid) as raised:
        theme_group_create(name=name, themes=[theme], by=team_lead)

    assert raised.value.message_dict == {"name": [message]}
    assert (ThemeGroup.objects.count(), ThemeEvent.objects.count()) == (0, 0)


def test_group_create_refuses_a_merged_theme_naming_the_field(team_lead):
    merged = ThemeFactory(status=Theme.Status.MERGED)

    with pytest.raises(Invalid) as raised:
        theme_group_create(name="Deliveries", themes=[merged], by=team_lead)

    assert raised.value.message_dict == {"themes": [f"Only active themes can be grouped; not active: {merged.pk}."]}
    assert ThemeGroup.objects.count() == 0


@pytest.mark.parametrize("role", ["executive", "department_owner"])
def test_executives_and_owners_may_not_edit_groups(request, role):
    user = request.getfixturevalue(role)
    theme = ThemeFactory()
    group = ThemeGroup.objects.create(name="Deliveries")

    for attempt in (
        lambda: theme_group_create(name="Mine", themes=[theme], by=user),
        lambda: theme_group_rename(group=group, name="Mine", by=user),
        lambda: theme_move_to_group(theme=theme, group=group, by=user),
        lambda: theme_group_delete(group=group, by=user),
        lambda: theme_groups_propose(by=user),
    ):
        with pytest.raises(NotAllowed):
            attempt()

    assert (list(ThemeGroup.objects.values_list("name", flat=True)), Theme.objects.get(pk=theme.pk).group_id) == (
        ["Deliveries"],
        None,
    )


def _theme_with_centroid(label: str, direction: int, size: int) -> Theme:
    vector = np.zeros(384, dtype=np.float32)
    vector[direction] = 1.0
    vector[(direction + 1) % 384] = 0.1 * size
    return ThemeFactory(label=label, size=size, centroid=embedding_to_bytes(vector / np.linalg.norm(vector)))


def test_propose_groups_alike_ungrouped_themes_named_after_their_largest(team_lead):
    late = _theme_with_centroid("Parcel late", 0, 5)
    lost = _theme_with_centroid("Parcel lost", 0, 9)
    declined = _theme_with_centroid("Card declined", 100, 4)
    charged = _theme_with_centroid("Charged twice", 100, 3)
    kept = _theme_with_centroid("Already grouped", 0, 8)
    existing = theme_group_create(name="Kept", themes=[kept], by=team_lead)

    groups = theme_groups_propose(by=team_lead)

    assert [(group.name, sorted(group.themes.values_list("id", flat=True))) for group in groups] == [
        ("Parcel lost", sorted([late.pk, lost.pk])),
        ("Card declined", sorted([declined.pk, charged.pk])),
    ]
    assert Theme.objects.get(pk=kept.pk).group_id == existing.pk


# --- API -----------------------------------------------------------------------------------------------------------


def test_api_creates_a_group_and_lists_it_with_rolled_up_volume_and_trend(api_client, team_lead):
    today = timezone.localdate()
    now = timezone.now()
    parcel, refund = ThemeFactory(label="Parcel late"), ThemeFactory(label="Refund late")
    cases_for_theme(theme=parcel, received=[now - dt.timedelta(days=day) for day in (0, 1, 8)])
    cases_for_theme(theme=refund, received=[now - dt.timedelta(days=day) for day in (2, 9, 10, 20)])
    Theme.objects.filter(pk=parcel.pk).update(size=3)
    Theme.objects.filter(pk=refund.pk).update(size=4)
    api_client.force_authenticate(team_lead)

    created = api_client.post(
        "/api/theme-groups/", {"name": "Deliveries", "themes": [parcel.pk, refund.pk]}, format="json"
    )
    listed = api_client.get("/api/theme-groups/", {"as_of": today.isoformat()})

    assert created.status_code == 201
    row = listed.json()["results"][0]
    keys = ("name", "themes", "theme_count", "size", "volume_last_7_days", "volume_last_28_days", "trend")
    assert {key: row[key] for key in keys} == {
        "name": "Deliveries",
        "themes": [refund.pk, parcel.pk],
        "theme_count": 2,
        "size": 7,
        "volume_last_7_days": 3,
        "volume_last_28_days": 7,
        "trend": 0.0,
    }


def test_api_themes_carry_their_group_and_filter_by_it(api_client, executive, team_lead):
    parcel, refund = ThemeFactory(label="Parcel late"), ThemeFactory(label="Refund late")
    group = theme_group_create(name="Deliveries", themes=[parcel], by=team_lead)
    api_client.force_authenticate(executive)

    everything = api_client.get("/api/themes/").json()["results"]
    filtered = api_client.get("/api/themes/", {"group": group.pk}).json()["results"]
    unknown = api_client.get("/api/themes/", {"group": 999999})

    assert {row["id"]: row["group"] for row in everything} == {parcel.pk: group.pk, refund.pk: None}
    assert [row["id"] for row in filtered] == [parcel.pk]
    assert (unknown.status_code, list(unknown.json()["fields"])) == (400, ["group"])


def test_api_renames_moves_and_deletes(api_client, team_lead):
    theme = ThemeFactory()
    group = theme_group_create(name="Deliveries", themes=[theme], by=team_lead)
    other = theme_group_create(name="Other", by=team_lead)
    api_client.force_authenticate(team_lead)

    renamed = api_client.patch(f"/api/theme-groups/{group.pk}/", {"name": "Parcels"}, format="json")
    refused = api_client.delete(f"/api/theme-groups/{group.pk}/")
    moved = api_client.post(f"/api/themes/{theme.pk}/group/", {"group": other.pk}, format="json")
    deleted = api_client.delete(f"/api/theme-groups/{group.pk}/")

    assert (renamed.status_code, renamed.json()["name"]) == (200, "Parcels")
    assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
    assert (moved.status_code, moved.json()["group"]) == (200, other.pk)
    assert deleted.status_code == 204
    assert list(ThemeGroup.objects.values_list("name", flat=True)) == ["Other"]


def test_api_answers_400_naming_the_field_and_stores_nothing(api_client, team_lead):
    theme = ThemeFactory()
    api_client.force_authenticate(team_lead)

    empty_name = api_client.post("/api/theme-groups/", {"name": "", "themes": [theme.pk]}, format="json")
    unknown_theme = api_client.post("/api/theme-groups/", {"name": "Deliveries", "themes": [999999]}, format="json")
    unknown_group = api_client.post(f"/api/themes/{theme.pk}/group/", {"group": 999999}, format="json")

    assert (empty_name.status_code, list(empty_name.json()["fields"])) == (400, ["name"])
    assert (unknown_theme.status_code, list(unknown_theme.json()["fields"])) == (400, ["themes"])
    assert (unknown_group.status_code, list(unknown_group.json()["fields"])) == (400, ["group"])
    assert (ThemeGroup.objects.count(), ThemeEvent.objects.count(), Theme.objects.get(pk=theme.pk).group_id) == (
        0,
        0,
        None,
    )


@pytest.mark.parametrize("role", ["executive", "department_owner"])
def test_api_lets_executives_and_owners_read_groups_and_refuses_their_edits(api_client, request, role):
    theme = ThemeFactory()
    group = ThemeGroup.objects.create(name="Deliveries")
    api_client.force_authenticate(request.getfixturevalue(role))

    read = api_client.get("/api/theme-groups/")
    answers = [
        api_client.post("/api/theme-groups/", {"name": "Mine"}, format="json").status_code,
        api_client.patch(f"/api/theme-groups/{group.pk}/", {"name": "Mine"}, format="json").status_code,
        api_client.delete(f"/api/theme-groups/{group.pk}/").status_code,
        api_client.post("/api/theme-groups/propose/").status_code,
        api_client.post(f"/api/themes/{theme.pk}/group/", {"group": group.pk}, format="json").status_code,
    ]

    assert (read.status_code, [row["name"] for row in read.json()["results"]]) == (200, ["Deliveries"])
    assert answers == [403, 403, 403, 403, 403]
    assert list(ThemeGroup.objects.values_list("name", flat=True)) == ["Deliveries"]
