"""The estimator's design choices that bench/impact_calibration.py compares; the defaults are the production design."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TrendRule = Literal["soft", "hard", "always"]
TREND_RULES: tuple[TrendRule, ...] = ("soft", "hard", "always")


@dataclass(frozen=True)
class EstimatorOptions:
    """Switches between the chosen design and the alternatives the calibration bench measures it against.

    estimate_impact uses the defaults when it is given no options; only the bench should need others.
    """

    # Down-weight post days far off the level (outage bursts) as the pre fit does; False: the plain ratio of sums.
    down_weights_post_outliers: bool = True
    # "soft": keep the weight max(0, 1 - (threshold / z)^2) of the trend; "hard": all or none at |z|; "always": all.
    trend_rule: TrendRule = "soft"
    # Simulate the null from the whole-trend fit, so the bias of shrinking a real trend is in the interval.
    simulates_from_full_trend: bool = True
    # Widen the null by Student's t on the effective pre days (the earlier design; with the above it only costs power).
    widens_by_student_t: bool = False

    def __post_init__(self) -> None:
        """Refuse a trend rule the estimator does not know."""
        if self.trend_rule not in TREND_RULES:
            raise ValueError(f"unknown trend_rule {self.trend_rule!r}; choose one of {', '.join(TREND_RULES)}.")
