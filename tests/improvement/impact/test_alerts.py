from __future__ import annotations

import datetime

import pytest

from improvement.impact.selectors import theme_alert_badges, theme_alerts_latest
from improvement.impact.services.alerts import emerging_test, spike_test, theme_spike_check
from improvement.models import ThemeAlert
from tests.factories import TeamLeadFactory
from tests.improvement.impact_data import START, levels, volume_rows_create
from tests.improvement.workflow_factories import ThemeFactory

pytestmark = pytest.mark.django_db

LAST_DAY = START + datetime.timedelta(days=34)


def test_a_burst_over_the_last_three_days_flags_the_theme_as_spiking_and_a_steady_theme_not(
    mailoutbox, django_capture_on_commit_callbacks
):
    TeamLeadFactory(username="lead-one")
    TeamLeadFactory(username="lead-two")
    steady, bursting = ThemeFactory(label="Steady"), ThemeFactory(label="Card declined")
    volume_rows_create(theme=steady, theme_levels=levels((35, 20.0)), seed=1)
    volume_rows_create(theme=bursting, theme_levels=levels((32, 20.0), (3, 60.0)), seed=2)

    with django_capture_on_commit_callbacks(execute=True):
        result = theme_spike_check()

    alert = ThemeAlert.objects.get()
    assert (result.day, result.checked, [created.pk for created in result.created]) == (LAST_DAY, 2, [alert.pk])
    assert (alert.theme, alert.kind, alert.detected_on) == (bursting, "spiking", LAST_DAY)
    assert alert.window_start == LAST_DAY - datetime.timedelta(days=2)
    assert alert.observed > alert.upper_bound > alert.expected
    assert sorted(message.to[0] for message in mailoutbox) == ["lead-one@example.com", "lead-two@example.com"]
    assert mailoutbox[0].subject == "[Fixloop] Theme spiking: Card declined"
    assert alert.notified_at is not None


def test_checking_the_same_day_twice_adds_no_alert_and_sends_no_email(mailoutbox, django_capture_on_commit_callbacks):
    TeamLeadFactory(username="lead-one")
    bursting = ThemeFactory()
    volume_rows_create(theme=bursting, theme_levels=levels((32, 20.0), (3, 60.0)), seed=2)
    with django_capture_on_commit_callbacks(execute=True):
        theme_spike_check()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = theme_spike_check()

    assert (again.created, len(callbacks), ThemeAlert.objects.count(), len(mailoutbox)) == ([], 0, 1, 1)


def test_a_new_growing_theme_is_flagged_as_emerging():
    steady, new = ThemeFactory(), ThemeFactory(label="Gift cards rejected")
    volume_rows_create(theme=steady, theme_levels=levels((35, 20.0)), seed=1)
    volume_rows_create(theme=new, theme_levels=levels((28, 0.0), (4, 2.0), (3, 6.0)), seed=3)

    theme_spike_check()

    assert list(ThemeAlert.objects.values_list("theme_id", "kind")) == [(new.pk, "emerging")]


def test_a_spike_below_the_minimum_count_is_not_flagged():
    # A rare theme: 0.5 a day, then 3, 3, 3 — far above its expectation but under ten contacts.
    result = spike_test(theme_counts=[0, 1] * 14 + [3, 3, 3], total_counts=[400] * 31)

    assert (result.observed, result.is_spiking) == (9, False)


def test_a_shrinking_new_theme_is_not_emerging():
    assert emerging_test(theme_counts=[0] * 28 + [6, 5, 4, 3, 1, 1, 0]) is False


def test_badges_and_latest_alerts_come_from_the_stored_alerts():
    spiking, emerging = ThemeFactory(), ThemeFactory()
    ThemeAlert.objects.create(
        theme=spiking,
        kind="spiking",
        detected_on=LAST_DAY - datetime.timedelta(days=1),
        window_start=START,
        observed=60,
        expected=20.0,
        upper_bound=36.0,
    )
    latest = ThemeAlert.objects.create(
        theme=emerging,
        kind="emerging",
        detected_on=LAST_DAY,
        window_start=START,
        observed=20,
        expected=1.0,
    )

    assert theme_alert_badges(since=LAST_DAY - datetime.timedelta(days=6)) == {
        spiking.pk: {"spiking"},
        emerging.pk: {"emerging"},
    }
    assert theme_alert_badges(since=LAST_DAY) == {emerging.pk: {"emerging"}}
    assert list(theme_alerts_latest()) == [latest]
