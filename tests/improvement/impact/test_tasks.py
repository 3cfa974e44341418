from __future__ import annotations

import datetime

import pytest
from django.conf import settings

from improvement.impact.tasks import (
    impact_daily_task,
    impact_evaluate_fix_task,
    theme_alert_notify_task,
    theme_spike_check_task,
)
from improvement.models import FixImpact, FixTicket, ThemeAlert
from improvement.workflow.services.fixes import fix_ship
from tests.factories import DepartmentFactory, DepartmentOwnerFactory, TeamLeadFactory
from tests.improvement.impact_data import PRE_DAYS, SHIP_DATE, levels, volume_rows_create
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logistics(db):
    return DepartmentFactory(name="Logistics", owners=[DepartmentOwnerFactory(username="owner-logistics")])


def test_shipping_a_fix_enqueues_its_impact_evaluation_once_committed(logistics, django_capture_on_commit_callbacks):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (35, 24.0)))
    fix = FixFactory(issue=IssueFactory(themes=[theme]), department=logistics, status=FixTicket.Status.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        fix_ship(fix=fix, by=logistics.owners.get(), shipped_on=SHIP_DATE)

    assert len(callbacks) == 2  # the shipped email and the impact evaluation
    assert FixImpact.objects.get(fix=fix).verdict == "working"
    assert FixTicket.objects.get(pk=fix.pk).status == "working"


def test_the_evaluate_task_returns_the_verdict_and_none_for_an_unmeasurable_or_missing_fix(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (35, 24.0)))
    fix = FixFactory(issue=IssueFactory(themes=[theme]), department=logistics, status="shipped", shipped_on=SHIP_DATE)
    proposed = FixFactory(department=logistics)

    assert impact_evaluate_fix_task.delay(fix.pk).get() == "working"
    assert impact_evaluate_fix_task.delay(fix.pk).get() == "working"
    assert impact_evaluate_fix_task.delay(proposed.pk).get() is None
    assert impact_evaluate_fix_task.delay(987654).get() is None


def test_the_daily_task_reports_what_it_did(logistics):
    theme = ThemeFactory()
    volume_rows_create(theme=theme, theme_levels=levels((PRE_DAYS, 40.0), (35, 24.0)))
    FixFactory(issue=IssueFactory(themes=[theme]), department=logistics, status="shipped", shipped_on=SHIP_DATE)

    assert impact_daily_task.delay().get() == {"evaluated": 1, "verdicts": 1, "regressed": 0, "unavailable": 0}


def test_the_spike_task_counts_new_alerts_and_the_notify_task_sends_once(
    mailoutbox, django_capture_on_commit_callbacks
):
    TeamLeadFactory(username="lead-one")
    theme = ThemeFactory()
    volume_rows_create(
        theme=theme,
        theme_levels=levels((32, 20.0), (3, 60.0)),
        seed=2,
        start=SHIP_DATE - datetime.timedelta(days=40),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert theme_spike_check_task.delay().get() == 1
    assert theme_spike_check_task.delay().get() == 0
    alert = ThemeAlert.objects.get()
    assert len(mailoutbox) == 1
    assert theme_alert_notify_task.delay(alert.pk).get() == 0
    assert len(mailoutbox) == 1


def test_the_daily_jobs_are_scheduled_by_beat():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"improvement.impact_daily_task", "improvement.theme_spike_check_task"} <= tasks
