from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from cases.embedding import EMBEDDING_DIMENSION, EMBEDDING_MODEL_NAME, embed_texts, embedding_from_bytes, text_hash
from cases.models import Case
from cases.services.embedding import case_embed_backlog_requeue, case_embed_many, case_embed_pending

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TEXTS = [
    "my parcel says delivered but it is not at my door",
    "the app crashes every time I open my card settings",
    "I was charged twice for the same order",
]


def make_case(number: int, analysis_text: str) -> Case:
    return Case.objects.create(
        channel="twitter",
        external_id=f"t{number}",
        brand="Parcelly",
        text=analysis_text,
        analysis_text=analysis_text,
        received_at=timezone.now(),
    )


def test_case_embed_many_stores_a_unit_384_float32_vector_equal_to_a_direct_embed():
    case = make_case(1, TEXTS[0])

    assert case_embed_many(case_ids=[case.id]) == 1

    case.refresh_from_db()
    stored = embedding_from_bytes(case.embedding)
    assert stored.dtype == np.float32
    assert stored.shape == (EMBEDDING_DIMENSION,)
    assert float(np.linalg.norm(stored)) == pytest.approx(1.0, abs=1e-5)
    assert np.abs(stored - embed_texts([TEXTS[0]])[0]).max() < 1e-5
    assert case.embedding_model == EMBEDDING_MODEL_NAME
    assert case.embedded_text_hash == text_hash(TEXTS[0])
    assert case.embedded_at is not None


def test_case_embed_many_a_second_time_embeds_nothing():
    ids = [make_case(number, text).id for number, text in enumerate(TEXTS)]
    assert case_embed_many(case_ids=ids) == 3
    first_times = dict(Case.objects.values_list("id", "embedded_at"))

    assert case_embed_many(case_ids=ids) == 0
    assert dict(Case.objects.values_list("id", "embedded_at")) == first_times


def test_changing_the_analysis_text_re_embeds_exactly_that_case():
    ids = [make_case(number, text).id for number, text in enumerate(TEXTS)]
    case_embed_many(case_ids=ids)
    Case.objects.filter(id=ids[1]).update(analysis_text="where is my refund")
    untouched = dict(Case.objects.exclude(id=ids[1]).values_list("id", "embedded_at"))

    assert case_embed_many(case_ids=ids) == 1

    changed = Case.objects.get(id=ids[1])
    assert changed.embedded_text_hash == text_hash("where is my refund")
    assert np.abs(embedding_from_bytes(changed.embedding) - embed_texts(["where is my refund"])[0]).max() < 1e-5
    assert dict(Case.objects.exclude(id=ids[1]).values_list("id", "embedded_at")) == untouched


def test_identical_texts_in_one_run_get_identical_vectors():
    first, second = make_case(1, TEXTS[2]), make_case(2, TEXTS[2])

    assert case_embed_many(case_ids=[first.id, second.id]) == 2

    first.refresh_from_db()
    second.refresh_from_db()
    assert bytes(first.embedding) == bytes(second.embedding)


def test_case_embed_many_ignores_unknown_ids():
    case = make_case(1, TEXTS[0])

    assert case_embed_many(case_ids=[case.id, case.id + 1000]) == 1


def test_case_embed_pending_embeds_every_case_in_chunks_and_reports_progress():
    for number in range(5):
        make_case(number, TEXTS[number % 3] + f" ({number})")
    progress: list[tuple[int, int]] = []

    embedded = case_embed_pending(chunk_size=2, on_progress=lambda checked, count: progress.append((checked, count)))

    assert embedded == 5
    assert progress == [(2, 2), (2, 2), (1, 1)]
    assert Case.objects.filter(embedded_at__isnull=True).count() == 0
    assert case_embed_pending(chunk_size=2) == 0


def test_embed_cases_command_backfills_and_prints_a_summary():
    for number, text in enumerate(TEXTS):
        make_case(number, text)
    output = StringIO()

    call_command("embed_cases", verbosity=0, stdout=output)
    call_command("embed_cases", verbosity=0, stdout=output)

    lines = output.getvalue().splitlines()
    assert lines[0].startswith("Embedded 3 case(s) in ")
    assert lines[0].endswith("; 0 already up to date.")
    assert lines[1].startswith("Embedded 0 case(s) in ")
    assert lines[1].endswith("; 3 already up to date.")


def test_backlog_queues_the_cases_never_embedded_that_are_older_than_the_backlog_age(
    settings, django_capture_on_commit_callbacks
):
    settings.CASES_EMBED_CHUNK_SIZE = 2
    old = [make_case(number, text) for number, text in enumerate(TEXTS)]
    Case.objects.filter(pk__in=[case.pk for case in old]).update(ingested_at=timezone.now() - timedelta(minutes=10))
    young = make_case(9, "the courier was rude to me at the door")

    with django_capture_on_commit_callbacks(execute=True):
        queued = case_embed_backlog_requeue(older_than=timedelta(minutes=5))

    assert queued == 3
    assert set(Case.objects.filter(embedded_at__isnull=False).values_list("id", flat=True)) == {c.pk for c in old}
    young.refresh_from_db()
    assert young.embedded_at is None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert case_embed_backlog_requeue(older_than=timedelta(minutes=5)) == 0
    assert len(callbacks) == 0


@pytest.mark.django_db(transaction=True)
def test_embedding_skips_cases_another_worker_has_claimed():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers anyway)")
    claimed, free = make_case(1, TEXTS[0]), make_case(2, TEXTS[1])
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                list(Case.objects.select_for_update().filter(pk=claimed.pk))
                holding.set()
                release.wait(timeout=60)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert holding.wait(timeout=30)
    try:
        embedded = case_embed_many(case_ids=[claimed.pk, free.pk])
    finally:
        release.set()
        thread.join(timeout=60)

    assert embedded == 1
    assert list(Case.objects.order_by("id").values_list("id", "embedded_text_hash")) == [
        (claimed.pk, ""),
        (free.pk, text_hash(TEXTS[1])),
    ]


def test_loading_the_model_draws_no_progress_bar_of_its_own():
    loaded = subprocess.run(
        [sys.executable, "-c", "from cases.embedding import embedding_model; embedding_model(); print('loaded')"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert loaded.stdout == "loaded\n"
    assert "Loading weights" not in loaded.stderr
