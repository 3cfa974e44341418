"""Embedding cases: their analysis text into a stored float32 vector, computed only when that text changed.

Each chunk is claimed by locking its rows (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL) in the transaction
that stores its vectors: two workers given the same cases (a redelivered task, the backlog sweep) never embed one
case twice, and a worker killed mid-chunk releases its claim with its connection, its chunk left unembedded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases.embedding import EMBEDDING_MODEL_NAME, embed_texts, embedding_to_bytes, text_hash
from cases.models import Case
from cases.selectors import case_ids_never_embedded
from core.jobs import enqueue_all_on_commit

# Texts per model batch: None leaves it to the backend (cases.embedding), which also caps padded tokens per batch.
ENCODE_BATCH_SIZE = None
_FIELDS = ("id", "analysis_text", "embedded_text_hash")


def _cases_needing_embedding(cases: Iterable[Case]) -> list[tuple[Case, str]]:
    """The cases whose stored embedding was not computed from their current analysis text, with that text's hash."""
    stale = []
    for case in cases:
        current_hash = text_hash(case.analysis_text)
        if case.embedded_text_hash != current_hash:
            stale.append((case, current_hash))
    return stale


def _embed_and_store(stale: Sequence[tuple[Case, str]], *, batch_size: int | None) -> int:
    """Embed each distinct analysis text once, then store every case's vector, model, hash and time."""
    if not stale:
        return 0
    # Identical texts (retweets, copy-pasted complaints) are embedded once; the vectors would be the same.
    distinct_texts = list(dict.fromkeys(case.analysis_text for case, _ in stale))
    vectors = embed_texts(distinct_texts, batch_size=batch_size)
    vector_bytes = {text: embedding_to_bytes(vector) for text, vector in zip(distinct_texts, vectors, strict=True)}
    # The hash stored is that of the text actually embedded, so a text edited meanwhile is picked up by the next run.
    _store_embeddings([(case.id, vector_bytes[case.analysis_text], current_hash) for case, current_hash in stale])
    return len(stale)


def _store_embeddings(rows: Sequence[tuple[int, bytes, str]]) -> None:
    """Write (case id, vector bytes, text hash) rows with the model name and the time, one prepared UPDATE per row.

    bulk_update's CASE WHEN over hundreds of ids took 16 s for 3,000 cases on SQLite where this takes 0.6 s
    (measured on a loaded machine); the rows are locked by this transaction already.
    """
    meta = Case._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in ("embedding", "embedding_model", "embedded_text_hash", "embedded_at")]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    statement = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    model_name = columns[1].get_db_prep_save(EMBEDDING_MODEL_NAME, connection)
    embedded_at = columns[3].get_db_prep_save(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.executemany(
            statement,
            [
                (columns[0].get_db_prep_save(vector, connection), model_name, current_hash, embedded_at, case_id)
                for case_id, vector, current_hash in rows
            ],
        )


def _claimed() -> QuerySet[Case]:
    """Cases locked for this transaction; rows another transaction is embedding are skipped, not waited for."""
    return Case.objects.select_for_update(skip_locked=True).only(*_FIELDS)


def case_embed_many(
    *, case_ids: Iterable[int], batch_size: int | None = ENCODE_BATCH_SIZE, chunk_size: int | None = None
) -> int:
    """Embed the given cases whose analysis text changed since their last embedding; returns how many were embedded.

    Works through the ids `chunk_size` (default settings.CASES_EMBED_CHUNK_SIZE) at a time, one transaction each,
    so memory stays bounded; unknown ids, and cases another worker is embedding right now, are left out.
    """
    ids = sorted(set(case_ids))
    chunk_size = chunk_size or settings.CASES_EMBED_CHUNK_SIZE
    embedded = 0
    for start in range(0, len(ids), chunk_size):
        with transaction.atomic():
            chunk = _claimed().filter(id__in=ids[start : start + chunk_size]).order_by("id")
            embedded += _embed_and_store(_cases_needing_embedding(chunk), batch_size=batch_size)
    return embedded


def case_embed_pending(
    *,
    batch_size: int | None = ENCODE_BATCH_SIZE,
    chunk_size: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Embed every case not embedded yet or whose analysis text changed; returns how many were embedded.

    Cases are read `chunk_size` (default settings.CASES_EMBED_CHUNK_SIZE) at a time in id order, one transaction
    each (memory stays bounded however many there are); cases another worker is embedding are left to it.
    `on_progress(checked, embedded)` is called after each chunk with that chunk's counts.
    """
    chunk_size = chunk_size or settings.CASES_EMBED_CHUNK_SIZE
    embedded = 0
    last_id = 0
    while True:
        with transaction.atomic():
            chunk = list(_claimed().filter(id__gt=last_id).order_by("id")[:chunk_size])
            if not chunk:
                return embedded
            last_id = chunk[-1].id
            stale = _cases_needing_embedding(chunk)
            # Similar lengths in one encode call means little padding inside each batch.
            stale.sort(key=lambda pair: len(pair[0].analysis_text))
            chunk_embedded = _embed_and_store(stale, batch_size=batch_size)
        embedded += chunk_embedded
        if on_progress is not None:
            on_progress(len(chunk), chunk_embedded)


def case_embed_backlog_requeue(*, older_than: timedelta | None = None) -> int:
    """Queue the embedding of every case never embedded though ingested `older_than` ago; returns how many.

    The default age is settings.CASES_EMBED_BACKLOG_AGE_SECONDS: younger cases still have their own task queued.
    This is how cases a lost worker left, or that arrived with embedding on ingest off, get embedded. Safe to run
    twice: a queued task embeds only what is still unembedded and not claimed by another worker.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.CASES_EMBED_BACKLOG_AGE_SECONDS)
    ids = case_ids_never_embedded(ingested_before=timezone.now() - older_than)
    chunk_size = settings.CASES_EMBED_CHUNK_SIZE
    enqueue_all_on_commit(
        [("cases.case_embed_task", [ids[start : start + chunk_size]]) for start in range(0, len(ids), chunk_size)]
    )
    return len(ids)
