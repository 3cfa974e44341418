"""Prepare what the first embedding and the first clustering would otherwise pay for: `make install` runs it."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from cases.embedding import embed_texts, embedding_backend
from improvement.themes import ml


class Command(BaseCommand):
    help = (
        "Export the bundled model to ONNX if it is not cached yet, and compile UMAP's kernels into numba's disk "
        "cache, so the first demo, worker task or refit does not wait for either. Safe to run again."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        embed_texts(["My parcel never arrived."])
        embedded = time.perf_counter()
        result = ml.warm_up()
        self.stdout.write(
            f"Warmed up: the {embedding_backend()} embedding model in {embedded - started:.1f}s, the clustering "
            f"kernels in {time.perf_counter() - embedded:.1f}s ({len(result.clusters)} themes on synthetic vectors)."
        )
