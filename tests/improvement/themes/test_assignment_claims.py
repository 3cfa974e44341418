"""Placing new cases in chunks on PostgreSQL: a chunk is claimed once, and several workers share a backlog."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from cases.models import Case
from improvement.models import CaseTheme, DailyThemeVolume, Theme
from improvement.themes.services.assignment import theme_assign_new_cases
from improvement.volumes.services import daily_theme_volumes_refresh
from tests.improvement.theme_data import store_cases, themes_by_reason
from tests.utils import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

KNOWN = [i for i in range(450) if i % 10]
ARRIVING = [i for i in range(450) if i % 10 == 0]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL (SQLite serialises writers anyway)")


@pytest.fixture
def arriving_ids(airline_tweets) -> list[int]:
    """45 embedded cases awaiting a theme beside five reason themes holding 405 others."""
    themes_by_reason(airline_tweets, store_cases(airline_tweets, KNOWN), KNOWN)
    daily_theme_volumes_refresh()
    return [case.pk for case in store_cases(airline_tweets, ARRIVING)]


def _day_counts() -> list[tuple]:
    return list(DailyThemeVolume.objects.order_by("day", "theme_id", "brand", "channel").values_list())


def _assert_sizes_and_day_counts_match_the_links() -> None:
    sizes = dict(Theme.objects.values_list("id", "size"))
    linked = {theme_id: CaseTheme.objects.filter(theme_id=theme_id).count() for theme_id in sizes}
    assert sizes == linked
    counted = [row[1:] for row in _day_counts()]
    daily_theme_volumes_refresh()
    assert counted == [row[1:] for row in _day_counts()]


def test_assignment_skips_cases_another_worker_has_claimed_and_a_rerun_places_only_them(arriving_ids):
    claimed = arriving_ids[:5]
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                list(Case.objects.select_for_update().filter(pk__in=claimed))
                holding.set()
                release.wait(timeout=60)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert holding.wait(timeout=30)
    try:
        first = theme_assign_new_cases(case_ids=arriving_ids)
    finally:
        release.set()
        thread.join(timeout=60)

    assert first.assigned + first.unassigned == 40
    assert set(CaseTheme.objects.filter(case_id__in=arriving_ids).values_list("case_id", flat=True)) == set(
        arriving_ids[5:]
    )
    second = theme_assign_new_cases(case_ids=arriving_ids)
    assert second.assigned + second.unassigned == 5
    assert CaseTheme.objects.filter(case_id__in=arriving_ids).count() == 45
    third = theme_assign_new_cases(case_ids=arriving_ids)
    assert (third.assigned, third.unassigned) == (0, 0)
    _assert_sizes_and_day_counts_match_the_links()


def test_workers_started_together_on_the_same_cases_place_each_case_once(arriving_ids):
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes: list = []

    def worker(case_ids: list[int]) -> None:
        try:
            barrier.wait()
            outcomes.append(theme_assign_new_cases(case_ids=case_ids))
        except Exception as error:  # every outcome, the unexpected ones included, is asserted on
            outcomes.append(error)
        finally:
            connections.close_all()

    # Two workers get every case, two get overlapping halves: a redelivery beside the backlog sweep.
    chunks = [arriving_ids, arriving_ids, arriving_ids[:30], arriving_ids[15:]]
    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [type(outcome).__name__ for outcome in outcomes] == ["ThemeAssignment"] * workers
    assert sum(outcome.assigned + outcome.unassigned for outcome in outcomes) == 45
    links = CaseTheme.objects.filter(case_id__in=arriving_ids)
    assert links.count() == 45
    assert sum(outcome.assigned for outcome in outcomes) == links.filter(theme__isnull=False).count()
    _assert_sizes_and_day_counts_match_the_links()


@pytest.mark.worker
@pytest.mark.slow
def test_two_real_workers_share_the_chunks_of_a_backlog_and_place_each_case_once(arriving_ids, celery_workers):
    first, second = celery_workers.start(), celery_workers.start()
    assert wait_until(
        lambda: all("ready." in path.read_text() for path in celery_workers.log_paths), timeout=120, interval=0.2
    )
    chunks = [arriving_ids[start : start + 5] for start in range(0, 45, 5)]
    # Every chunk is sent twice, as a redelivered task would be.
    for chunk in chunks + chunks:
        celery_workers.send("improvement.theme_assign_new_cases_task", chunk)

    task = "improvement.theme_assign_new_cases_task"
    assert wait_until(lambda: len(celery_workers.returned(task)) == 18, timeout=120, interval=0.2)
    links = CaseTheme.objects.filter(case_id__in=arriving_ids)
    assert links.count() == 45
    assert sum(int(value) for value in celery_workers.returned(task)) == links.filter(theme__isnull=False).count()
    per_worker = [
        sum(f"Task {task}[" in line and "succeeded" in line for line in path.read_text().splitlines())
        for path in celery_workers.log_paths
    ]
    assert sum(per_worker) == 18
    assert min(per_worker) >= 1, f"one worker took every chunk: {per_worker}"
    assert (first.poll(), second.poll()) == (None, None)
    _assert_sizes_and_day_counts_match_the_links()
