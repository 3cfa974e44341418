"""Embedding a backlog with two real workers: the chunk tasks spread over both, and no case is embedded twice."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.embedding import text_hash
from cases.models import Case
from tests.utils import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.slow]

TASK = "cases.case_embed_task"
CASES = 40
CHUNK = 4


def _succeeded_per_worker(pool) -> list[int]:
    return [
        sum(f"Task {TASK}[" in line and "succeeded" in line for line in path.read_text().splitlines())
        for path in pool.log_paths
    ]


def test_two_workers_share_an_embedding_backlog_and_embed_each_case_once(celery_workers):
    ids = [
        Case.objects.create(
            channel="chat",
            external_id=f"fan-out-{number}",
            brand="Parcelly",
            text=f"parcel {number} never arrived at the depot",
            analysis_text=f"parcel {number} never arrived at the depot",
            received_at=timezone.now(),
        ).id
        for number in range(CASES)
    ]
    for _ in range(2):
        celery_workers.start(OMP_NUM_THREADS="1")
    assert wait_until(
        lambda: all("ready." in path.read_text() for path in celery_workers.log_paths), timeout=120, interval=0.2
    )
    chunks = [ids[start : start + CHUNK] for start in range(0, CASES, CHUNK)]
    # Every chunk twice, as a redelivery or the backlog sweep beside the ingest task would send it.
    for chunk in chunks + chunks:
        celery_workers.send(TASK, chunk)

    assert wait_until(lambda: len(celery_workers.returned(TASK)) == 2 * len(chunks), timeout=600, interval=0.5)
    assert sum(int(value) for value in celery_workers.returned(TASK)) == CASES
    assert sorted(Case.objects.values_list("embedded_text_hash", flat=True)) == sorted(
        text_hash(f"parcel {number} never arrived at the depot") for number in range(CASES)
    )
    per_worker = _succeeded_per_worker(celery_workers)
    assert sum(per_worker) == 2 * len(chunks)
    assert min(per_worker) >= 1, f"one worker took every chunk: {per_worker}"
