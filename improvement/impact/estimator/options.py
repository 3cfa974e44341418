"""The estimator's design choices that bench/impact_calibration.py compares; the defaults are the production design."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TrendRule = Literal["soft", "hard", "always", "ridge", "ridge_soft", "bic"]
TREND_RULES: tuple[TrendRule, ...] = ("soft", "hard", "always", "ridge", "ridge_soft", "bic")


@dataclass(frozen=True)
class EstimatorOptions:
    """Switches between the chosen design and the alternatives the calibration bench measures it against.

    estimate_impact uses the defaults when it is given no options; only the bench should need others.
    """

    # Down-weight post days far off the level (outage bursts) as the pre fit does; False: the plain ratio of sums.
    down_weights_post_outliers: bool = True
    # "ridge": the posterior mean of the trend under a normal prior (trend_prior_annual_drift), its posterior
    # variance in the null draws; "soft": keep the weight max(0, 1 - (threshold / z)^2) of the trend (round one);
    # "bic": the fits with and without the trend weighed by BIC; "hard": all or none at |z|; "always": all.
    trend_rule: TrendRule = "ridge"
    # Simulate the null from the whole-trend fit, so the bias of shrinking a real trend is in the interval (the
    # "soft" design's choice); with "ridge" the null is drawn around the posterior-mean fit instead.
    simulates_from_full_trend: bool = False
    # Widen the null by Student's t on the effective pre days (the earlier design; with the above it only costs power).
    widens_by_student_t: bool = False
    # "ridge": the sd of the normal prior on the theme's share drift, in log units a year (1.3: the 56-day bench's
    # choice between 1.0, too narrow for growing shares, and 1.6, which costs power; see bench/impact_calibration.py).
    trend_prior_annual_drift: float = 1.3

    def __post_init__(self) -> None:
        """Refuse a trend rule the estimator does not know."""
        if self.trend_rule not in TREND_RULES:
            raise ValueError(f"unknown trend_rule {self.trend_rule!r}; choose one of {', '.join(TREND_RULES)}.")
