"""Runs and curation at the same time on PostgreSQL: one active run however many ask, no deadlock in a swap."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from config.celery_app import app as celery_app
from improvement.models import CaseTheme, ClusteringRun, Theme
from improvement.themes.services.curation import theme_merge, theme_split
from improvement.themes.services.runs import clustering_run_execute, clustering_run_request
from tests.improvement.theme_data import store_cases, themes_by_reason
from tests.utils import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTERS = 8


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL (SQLite serialises writers anyway)")


@pytest.fixture
def runs_stay_queued():
    """Send run tasks to an in-memory broker no worker reads, so a requested run stays pending."""
    before = {"task_always_eager": celery_app.conf.task_always_eager, "broker_url": celery_app.conf.broker_url}
    celery_app.conf.update(task_always_eager=False, broker_url="memory://")
    yield
    celery_app.conf.update(before)


def _in_thread(target, outcomes: list, barrier: threading.Barrier | None = None):
    def run() -> None:
        try:
            if barrier is not None:
                barrier.wait()
            outcomes.append(target())
        except Exception as error:  # every outcome, the unexpected ones included, is asserted on
            outcomes.append(error)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def test_concurrent_run_requests_create_exactly_one_run(runs_stay_queued):
    outcomes: list = []
    barrier = threading.Barrier(REQUESTERS)
    threads = [
        _in_thread(lambda: clustering_run_request(trigger=ClusteringRun.Trigger.API), outcomes, barrier)
        for _ in range(REQUESTERS)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds == Counter({"ClusteringRun": 1, "ThemeStateError": REQUESTERS - 1})
    assert list(ClusteringRun.objects.values_list("status", flat=True)) == ["pending"]


def _waiting_on_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps the first activity snapshot; take a fresh one each time.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.slow
def test_a_swap_waiting_on_a_split_and_merge_in_progress_lets_both_finish(airline_tweets, team_lead):
    indices = list(range(450))
    by_reason = themes_by_reason(airline_tweets, store_cases(airline_tweets, indices), indices)
    themes = sorted(by_reason.values(), key=lambda theme: theme.pk)
    run = ClusteringRun.objects.create(trigger=ClusteringRun.Trigger.COMMAND)
    swap_outcome: list = []
    swap = _in_thread(lambda: clustering_run_execute(run_id=run.pk), swap_outcome)

    with transaction.atomic():
        # The curation transaction holds the theme it splits (the newest) while the refit comes to swap ...
        parts = theme_split(theme=themes[-1], by=team_lead, parts=2)
        swap.start()
        assert wait_until(_waiting_on_a_row_lock, timeout=300, interval=0.2)
        # ... and then touches the oldest themes, which a swap locking themes one by one would already hold.
        survivor = theme_merge(theme=themes[0], into=themes[1], by=team_lead)
    swap.join(timeout=300)

    finished = swap_outcome[0]
    assert isinstance(finished, ClusteringRun), finished
    assert (finished.status, finished.error) == ("succeeded", "")
    assert Theme.objects.get(pk=themes[0].pk).status == Theme.Status.MERGED
    assert survivor.pk == themes[1].pk
    assert CaseTheme.objects.filter(theme=parts[1], source=CaseTheme.Source.MANUAL).count() == parts[1].size
    assert CaseTheme.objects.count() == 450
    sizes = dict(Theme.objects.values_list("id", "size"))
    links = Counter(CaseTheme.objects.filter(theme__isnull=False).values_list("theme_id", flat=True))
    assert sizes == {theme_id: links.get(theme_id, 0) for theme_id in sizes}
