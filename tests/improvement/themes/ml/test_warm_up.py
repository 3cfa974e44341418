"""manage.py warm_up (make install runs it): the model is exported and UMAP's kernels land in numba's disk cache."""

from __future__ import annotations

import importlib
import io
import re
from pathlib import Path

from django.core.management import call_command

from improvement.themes.ml.clustering import NUMBA_KERNEL_MODULES, WARM_UP_GROUPS


def test_warm_up_fits_synthetic_vectors_and_caches_umap_kernels_on_disk():
    output = io.StringIO()

    call_command("warm_up", stdout=output)

    assert re.fullmatch(
        r"Warmed up: the onnx embedding model in \d+\.\ds, the clustering kernels in \d+\.\ds "
        rf"\({WARM_UP_GROUPS} themes on synthetic vectors\)\.\n",
        output.getvalue(),
    )
    umap_kernels = (
        ("umap.umap_", "smooth_knn_dist"),
        ("umap.umap_", "compute_membership_strengths"),
        ("umap.layouts", "_nb_optimize_layout_euclidean_single_epoch"),
    )
    assert {module for module, _ in umap_kernels} <= set(NUMBA_KERNEL_MODULES)
    kernels = {name: getattr(importlib.import_module(module), name) for module, name in umap_kernels}
    assert {type(kernel._cache).__name__ for kernel in kernels.values()} == {"FunctionCache"}
    # The kernels a fit runs went through the disk cache (compiled and saved, or loaded) and their index is on disk;
    # the parallel layout variant is never run (one thread).
    for name in kernels:
        stats = kernels[name].stats
        assert sum(stats.cache_hits.values()) + sum(stats.cache_misses.values()) >= 1
        assert Path(kernels[name]._cache._cache_file._index_path).is_file()
