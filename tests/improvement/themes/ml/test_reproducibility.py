"""The same demo cases give the same themes whatever thread settings the process was started with."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cases.embedding import embed_texts
from cases.simulation import simulate_contacts
from cases.text import analysis_text

pytestmark = pytest.mark.slow

REPOSITORY_ROOT = Path(__file__).resolve().parents[4]
# Small enough to embed and fit twice in about a minute on two cores; the demo stream's own generator and seed.
DEMO_SLICE_CASES = 1200
FIT_IN_CHILD = """
import json, sys
import numpy as np
from improvement.themes.ml import fit
data = np.load(sys.argv[1], allow_pickle=True)
result = fit(texts=list(data["texts"]), embeddings=data["embeddings"], random_state=42)
print(json.dumps(result.assignments.tolist()))
"""


def _fit_in_subprocess(data_path: Path, threads: int) -> list[int]:
    environment = {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "NUMBA_NUM_THREADS": str(threads),
        "PYTHONPATH": str(REPOSITORY_ROOT),
    }
    completed = subprocess.run(
        [sys.executable, "-c", FIT_IN_CHILD, str(data_path)],
        env=environment,
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_fit_of_the_demo_stream_is_identical_with_one_and_with_two_threads(tmp_path):
    contacts = list(simulate_contacts(total=DEMO_SLICE_CASES, end=datetime.date(2026, 11, 1)))
    texts = [analysis_text(contact.text, brand_names=[contact.brand]) for contact in contacts]
    data_path = tmp_path / "demo.npz"
    np.savez(data_path, texts=np.array(texts, dtype=object), embeddings=embed_texts(texts))

    one_thread = _fit_in_subprocess(data_path, threads=1)
    two_threads = _fit_in_subprocess(data_path, threads=2)

    assert len(one_thread) == len(texts)
    assert len(set(one_thread) - {-1}) >= 10
    assert one_thread == two_threads
