"""The placebo check: the same estimate at fake ship dates before the real one, where no fix shipped."""

from __future__ import annotations

import numpy as np

from improvement.impact.estimator.looks import REFERENCE_TAILS, null_ratio_bounds
from improvement.impact.estimator.options import EstimatorOptions
from improvement.impact.estimator.window import (
    MAXIMUM_PRE_DAYS,
    MINIMUM_POST_DAYS,
    MINIMUM_POST_VOLUME,
    MINIMUM_PRE_DAYS,
    RANDOM_SEED,
    _estimate_window,
)

# The placebo check: up to PLACEBO_COUNT fake ship dates a week apart in the pre period, each read with
# PLACEBO_DRAWS null draws; the verdict is inconclusive when at least PLACEBO_INCONCLUSIVE_FOUND of them, and
# more than half, "found" an effect where there was none (overlapping windows often err together, so two of
# four happen on steady themes too).
PLACEBO_COUNT = 4
PLACEBO_DRAWS = 300
PLACEBO_INCONCLUSIVE_FOUND = 2


def _placebo_windows(*, ship_index: int, window_length: int, earlier_indices: tuple[int, ...]) -> list[tuple[int, int]]:
    """Fake ship dates a week apart before the real one, with their windows (cut at the real ship date).

    Whole windows of the real one's length are preferred; on a short history the latest dates get shorter
    windows, down to MINIMUM_POST_DAYS. A window holding an earlier fix's ship date is skipped.
    """
    candidates = []
    whole = 0
    for weeks_back in range(1, MAXIMUM_PRE_DAYS // 7):
        start = ship_index - 7 * weeks_back
        if start < MINIMUM_PRE_DAYS or whole >= PLACEBO_COUNT:
            break
        end = min(start + window_length, ship_index)
        if end - start >= MINIMUM_POST_DAYS and not any(start <= index < end for index in earlier_indices):
            candidates.append((start, end))
            whole += int(end - start == window_length)
    candidates.sort(key=lambda window: (-(window[1] - window[0]), -window[0]))
    return candidates[:PLACEBO_COUNT]


def _placebo_check(
    *,
    theme: np.ndarray,
    total: np.ndarray,
    weekday: np.ndarray,
    ship_index: int,
    window_length: int,
    earlier_indices: tuple[int, ...],
    options: EstimatorOptions,
) -> tuple[int, int]:
    """How many placebo windows could be read, and in how many the fixed-horizon interval excluded no effect."""
    runs = found = 0
    for start, end in _placebo_windows(
        ship_index=ship_index, window_length=window_length, earlier_indices=earlier_indices
    ):
        window = _estimate_window(
            theme=theme[:end],
            total=total[:end],
            weekday=weekday[:end],
            ship_index=start,
            post_end=end,
            earlier_indices=tuple(index for index in earlier_indices if index < start),
            options=options,
            draw_count=PLACEBO_DRAWS,
            seed=RANDOM_SEED + start,
        )
        if not window.fitted_post.sum() >= MINIMUM_POST_VOLUME:
            continue
        ratio_low, ratio_high = null_ratio_bounds(null_ratio=window.null_ratio, tails=REFERENCE_TAILS)
        runs += 1
        found += int(window.observed_level > ratio_high or window.observed_level < ratio_low)
    return runs, found
