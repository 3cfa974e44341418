"""Fault test: a worker killed (kill -9) in the middle of embedding; other workers finish, each case embedded once."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from cases.embedding import text_hash
from cases.models import Case
from tests.utils import wait_until

CASE_COUNT = 600
CHUNK_SIZE = 20
VISIBILITY_TIMEOUT = 8
SWEEP_SECONDS = 5
# Short enough that the recovery workers pick the killed worker's work up within the test's time.
RECOVERY_ENVIRONMENT = {
    "CASES_EMBED_CHUNK_SIZE": str(CHUNK_SIZE),
    "CELERY_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    "RECOVERY_SWEEP_SECONDS": str(SWEEP_SECONDS),
    "CASES_EMBED_BACKLOG_AGE_SECONDS": "0",
    "CASES_EMBED_ON_INGEST": "0",
}


def _store_cases() -> list[int]:
    now = timezone.now()
    cases = Case.objects.bulk_create(
        Case(
            channel="chat",
            external_id=f"kill-{number}",
            brand="Parcelly",
            text=f"order {number}: the courier left my parcel at the wrong door and support never answered my emails",
            analysis_text=(
                f"order {number}: the courier left my parcel at the wrong door and support never answered my emails"
            ),
            received_at=now,
        )
        for number in range(CASE_COUNT)
    )
    return [case.pk for case in cases]


def _embedded_count() -> int:
    return Case.objects.filter(embedded_at__isnull=False).count()


@pytest.mark.worker
@pytest.mark.slow
def test_cases_a_killed_worker_was_embedding_are_embedded_exactly_once_by_the_others(celery_workers):
    ids = _store_cases()
    doomed = celery_workers.start(**RECOVERY_ENVIRONMENT)
    celery_workers.send("cases.case_embed_task", ids)
    assert wait_until(lambda: _embedded_count() >= CHUNK_SIZE, timeout=180, interval=0.05)

    celery_workers.kill(doomed)
    killed_at = time.monotonic()
    before = dict(Case.objects.filter(embedded_at__isnull=False).values_list("id", "embedded_at"))
    assert CHUNK_SIZE <= len(before) < CASE_COUNT
    assert len(before) % CHUNK_SIZE == 0  # whole chunks only: the chunk being embedded was rolled back
    # One recovery worker runs the beat sweeps too: the backlog sweep and the broker's redelivery race for the work.
    celery_workers.start(beat=True, **RECOVERY_ENVIRONMENT)
    celery_workers.start(**RECOVERY_ENVIRONMENT)

    assert wait_until(lambda: _embedded_count() == CASE_COUNT, timeout=240, interval=0.25)
    recovered_after = time.monotonic() - killed_at
    # Let every task queued meanwhile (redelivered, swept) run out: each must find nothing left to embed.
    assert wait_until(lambda: not _queue_busy(celery_workers.queue), timeout=120, interval=1)

    after = dict(Case.objects.filter(id__in=before).values_list("id", "embedded_at"))
    assert after == before
    embedded_by_recovery = sum(int(value) for value in celery_workers.returned("cases.case_embed_task"))
    assert embedded_by_recovery == CASE_COUNT - len(before)
    assert sorted(Case.objects.values_list("embedded_text_hash", flat=True)) == sorted(
        text_hash(text) for text in Case.objects.values_list("analysis_text", flat=True)
    )
    print(
        f"embedding_recovery case_count={CASE_COUNT} embedded_before_kill={len(before)} "
        f"embedded_after_recovery={embedded_by_recovery} embedded_total={_embedded_count()} "
        f"recovery_seconds={recovered_after:.1f} visibility_timeout_s={VISIBILITY_TIMEOUT} sweep_s={SWEEP_SECONDS}"
    )


def _queue_busy(queue: str) -> bool:
    """Whether messages wait in the queue or are held unacknowledged by a worker."""
    from config.celery_app import app as celery_app

    with celery_app.connection_for_write() as connection:
        client = connection.default_channel.client
        return bool(client.llen(queue)) or bool(client.zcard("unacked_index"))
