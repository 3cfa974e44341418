from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone

from cases.embedding import EMBEDDING_DIMENSION, EMBEDDING_MODEL_NAME, embedding_from_bytes, text_hash
from cases.models import Case
from cases.tasks import case_embed_pending_task, case_embed_task
from tests.utils import wait_until

TEXTS = ["my parcel never arrived", "the courier left my package in the rain"]


def make_cases() -> list[int]:
    return [
        Case.objects.create(
            channel="chat",
            external_id=f"c{number}",
            brand="Parcelly",
            text=text,
            analysis_text=text,
            received_at=timezone.now(),
        ).id
        for number, text in enumerate(TEXTS)
    ]


@pytest.mark.django_db
@pytest.mark.slow
def test_case_embed_task_embeds_the_given_cases_once():
    ids = make_cases()

    assert case_embed_task.delay(ids).get() == 2
    assert case_embed_task.delay(ids).get() == 0
    assert sorted(Case.objects.values_list("embedded_text_hash", flat=True)) == sorted(text_hash(t) for t in TEXTS)


@pytest.mark.django_db
@pytest.mark.slow
def test_case_embed_pending_task_backfills_every_case():
    make_cases()

    assert case_embed_pending_task.delay().get() == 2
    assert Case.objects.filter(embedded_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.slow
def test_case_embed_task_runs_in_a_real_celery_worker(celery_worker_process):
    ids = make_cases()

    celery_worker_process("cases.case_embed_task", ids)

    assert wait_until(lambda: Case.objects.filter(embedded_at__isnull=False).count() == 2, timeout=120)
    for case in Case.objects.all():
        vector = embedding_from_bytes(case.embedding)
        assert vector.shape == (EMBEDDING_DIMENSION,)
        assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
        assert case.embedding_model == EMBEDDING_MODEL_NAME
        assert case.embedded_text_hash == text_hash(case.analysis_text)
