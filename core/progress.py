"""Console progress for long commands: counts with their total, e.g. "embedding: 2,000 / 7,739 cases"."""

from __future__ import annotations

from typing import IO

from tqdm import tqdm


def count_progress(*, label: str, noun: str, total: int, file: IO[str] | None = None, disable: bool = False) -> tqdm:
    """A bar counting `noun`s done out of `total` with thousands separators, the elapsed and the remaining time."""
    return tqdm(
        total=total,
        file=file,
        disable=disable,
        bar_format=f"{label}: {{n:,}} / {{total:,}} {noun} |{{bar:24}}| {{elapsed}} elapsed, {{remaining}} left",
        dynamic_ncols=False,
    )
