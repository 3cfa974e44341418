"""Snoozing themes: until a date or until their daily volume escalates, the daily check, and the leads' email."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from improvement.errors import Invalid, NotAllowed, ThemeStateError
from improvement.models import DailyThemeVolume, DailyTotalVolume, Theme, ThemeEvent
from improvement.themes.services.snooze import (
    snooze_upper_bound,
    theme_escalation_notify,
    theme_snooze,
    theme_snoozes_check,
    theme_unsnooze,
)
from tests.factories import TeamLeadFactory
from tests.improvement.workflow_factories import ThemeFactory

pytestmark = pytest.mark.django_db


def _counts(theme: Theme, by_day: dict[dt.date, int]) -> None:
    for day, count in by_day.items():
        DailyThemeVolume.objects.create(day=day, theme=theme, brand="acme", channel="twitter", count=count)
        DailyTotalVolume.objects.update_or_create(
            day=day, brand="acme", channel="twitter", defaults={"count": count + 100}
        )


def _snooze_fields(theme: Theme) -> tuple:
    theme.refresh_from_db()
    return (theme.snooze_kind, theme.snoozed_until, theme.snoozed_at, theme.snooze_baseline, theme.escalated_at)


TODAY = timezone.localdate()


def test_snooze_upper_bound_is_the_poisson_999_quantile_with_a_floor_of_five():
    assert [snooze_upper_bound(baseline) for baseline in (0.0, 0.5, 2.0, 10.0, 100.0)] == [4, 4, 8, 21, 132]


def test_theme_snooze_until_escalation_records_the_level_of_the_last_28_days(team_lead):
    theme = ThemeFactory()
    _counts(theme, {TODAY - dt.timedelta(days=offset): 2 for offset in range(28)})
    _counts(theme, {TODAY - dt.timedelta(days=40): 50})

    snoozed = theme_snooze(theme=theme, until="escalation", by=team_lead)

    assert (snoozed.snooze_kind, snoozed.snoozed_until, snoozed.snooze_baseline) == ("escalation", None, 2.0)
    assert snoozed.is_snoozed
    event = ThemeEvent.objects.get(theme=theme)
    assert (event.kind, event.actor, event.data) == (
        "snoozed",
        team_lead,
        {"until": "escalation", "baseline_per_day": 2.0, "upper_bound_per_day": 8},
    )


def test_theme_snooze_until_a_date(team_lead):
    theme = ThemeFactory()
    day = TODAY + dt.timedelta(days=30)

    snoozed = theme_snooze(theme=theme, until=day.isoformat(), by=team_lead)

    assert (snoozed.snooze_kind, snoozed.snoozed_until, snoozed.snooze_baseline) == ("date", day, 0.0)
    assert ThemeEvent.objects.get(theme=theme).data["until"] == day.isoformat()


@pytest.mark.parametrize("role", ["executive", "department_owner"])
def test_theme_snooze_refuses_executives_and_owners(role, request):
    theme = ThemeFactory()

    with pytest.raises(NotAllowed):
        theme_snooze(theme=theme, until="escalation", by=request.getfixturevalue(role))

    assert _snooze_fields(theme) == ("", None, None, None, None)


@pytest.mark.parametrize(
    "until",
    ["soon", "", "2027-02-30", (TODAY - dt.timedelta(days=1)).isoformat(), TODAY.isoformat(), "2999-01-01", None],
)
def test_theme_snooze_refuses_a_bad_until_naming_it(until, team_lead):
    theme = ThemeFactory()

    with pytest.raises(Invalid) as raised:
        theme_snooze(theme=theme, until=until, by=team_lead)

    assert list(raised.value.message_dict) == ["until"]
    assert _snooze_fields(theme) == ("", None, None, None, None)
    assert ThemeEvent.objects.count() == 0


def test_theme_snooze_refuses_a_merged_theme(team_lead):
    theme = ThemeFactory(status=Theme.Status.MERGED, merged_into=ThemeFactory())

    with pytest.raises(ThemeStateError):
        theme_snooze(theme=theme, until="escalation", by=team_lead)


def test_theme_unsnooze_brings_the_theme_back_with_an_event(team_lead):
    theme = ThemeFactory()
    theme_snooze(theme=theme, until="escalation", by=team_lead)

    theme_unsnooze(theme=theme, by=team_lead)

    assert _snooze_fields(theme) == ("", None, None, None, None)
    event = ThemeEvent.objects.filter(theme=theme).first()
    assert (event.kind, event.actor, event.data) == ("unsnoozed", team_lead, {"reason": "by hand"})


def test_theme_unsnooze_refuses_a_theme_not_snoozed(team_lead):
    with pytest.raises(ThemeStateError):
        theme_unsnooze(theme=ThemeFactory(), by=team_lead)


@pytest.mark.parametrize("role", ["executive", "department_owner"])
def test_theme_unsnooze_refuses_executives_and_owners(role, request, team_lead):
    theme = ThemeFactory()
    theme_snooze(theme=theme, until="escalation", by=team_lead)

    with pytest.raises(NotAllowed):
        theme_unsnooze(theme=theme, by=request.getfixturevalue(role))

    assert _snooze_fields(theme)[0] == "escalation"


def test_snooze_check_wakes_a_theme_whose_date_came(team_lead):
    theme = ThemeFactory()
    theme_snooze(theme=theme, until=(TODAY + dt.timedelta(days=3)).isoformat(), by=team_lead)

    early = theme_snoozes_check(today=TODAY + dt.timedelta(days=2))
    due = theme_snoozes_check(today=TODAY + dt.timedelta(days=3))
    again = theme_snoozes_check(today=TODAY + dt.timedelta(days=4))

    assert (early.woken_ids, due.woken_ids, again.woken_ids) == ([], [theme.pk], [])
    assert _snooze_fields(theme) == ("", None, None, None, None)
    event = ThemeEvent.objects.filter(theme=theme).first()
    assert (event.kind, event.actor, event.data) == (
        "unsnoozed",
        None,
        {"reason": "date", "on": (TODAY + dt.timedelta(days=3)).isoformat()},
    )


def _snoozed_at_two_a_day(team_lead) -> Theme:
    theme = ThemeFactory()
    _counts(theme, {TODAY - dt.timedelta(days=offset): 2 for offset in range(28)})
    theme_snooze(theme=theme, until="escalation", by=team_lead)
    return theme


def test_snooze_check_keeps_a_theme_snoozed_at_its_upper_bound(team_lead):
    theme = _snoozed_at_two_a_day(team_lead)
    _counts(theme, {TODAY + dt.timedelta(days=1): 8, TODAY + dt.timedelta(days=2): 3})

    result = theme_snoozes_check(today=TODAY + dt.timedelta(days=2))

    assert result.escalated_ids == []
    assert _snooze_fields(theme)[0] == "escalation"


def test_snooze_check_ignores_the_snooze_day_itself(team_lead):
    theme = _snoozed_at_two_a_day(team_lead)
    DailyThemeVolume.objects.filter(theme=theme, day=TODAY).update(count=40)

    assert theme_snoozes_check(today=TODAY).escalated_ids == []


def test_snooze_check_escalates_a_day_above_the_bound_and_emails_the_leads_once(
    team_lead, django_capture_on_commit_callbacks
):
    theme = _snoozed_at_two_a_day(team_lead)
    TeamLeadFactory(username="second-lead", email="second@example.com")
    escalation_day = TODAY + dt.timedelta(days=2)
    _counts(theme, {TODAY + dt.timedelta(days=1): 3, escalation_day: 9})

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = theme_snoozes_check(today=TODAY + dt.timedelta(days=3))
    again = theme_snoozes_check(today=TODAY + dt.timedelta(days=3))

    assert (result.escalated_ids, again.escalated_ids) == ([theme.pk], [])
    assert len(callbacks) == 1
    theme.refresh_from_db()
    assert (theme.snooze_kind, theme.is_escalating) == ("", True)
    event = ThemeEvent.objects.filter(theme=theme).first()
    assert (event.kind, event.actor, event.data) == (
        "escalated",
        None,
        {"day": escalation_day.isoformat(), "count": 9, "baseline_per_day": 2.0, "upper_bound_per_day": 8},
    )
    assert sorted(message.to[0] for message in mail.outbox) == ["lead-user@example.com", "second@example.com"]
    assert mail.outbox[0].subject == f"[Fixloop] Snoozed theme escalating: {theme.label}"
    assert theme_escalation_notify(theme_id=theme.pk) == 0
    assert len(mail.outbox) == 2


def test_snoozing_again_clears_the_escalating_badge(team_lead, django_capture_on_commit_callbacks):
    theme = _snoozed_at_two_a_day(team_lead)
    _counts(theme, {TODAY + dt.timedelta(days=1): 30})
    with django_capture_on_commit_callbacks(execute=False):
        theme_snoozes_check(today=TODAY + dt.timedelta(days=1))

    theme_snooze(theme=theme, until="escalation", by=team_lead)

    theme.refresh_from_db()
    assert (theme.is_escalating, theme.escalated_at, theme.snooze_kind) == (False, None, "escalation")
