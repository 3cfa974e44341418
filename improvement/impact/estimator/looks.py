"""How a fix's daily looks share the error budget, and the interval each look reads from the null draws.

A fix is read every day from its seventh post day. Each look's interval spends a fixed one-sided share of
the budget of a false "working" (and, alike, of a false "worse"); by the union bound (Bonferroni) the chance
that any look calls a fix with no effect "working" is at most the sum of the shares, whatever the
correlation between the looks:

* days 7 to 27, provisional: PROVISIONAL_TAIL each (21 looks);
* day 28, the fixed-horizon verdict (what estimate_impact(..., post_days=28) returns): FIXED_HORIZON_TAIL,
  its 95% interval;
* days 29 to 55, a fix with no clear effect at day 28 measured on (post_days=56): PROVISIONAL_TAIL each
  (27 looks);
* day 56, that fix's final verdict: EXTENDED_FINAL_TAIL.

21 * 0.0002 + 0.025 + 27 * 0.0002 + 0.015 = 0.0496 <= 0.05 (ERROR_BUDGET_SPENT). The provisional share is
small on purpose: a look before day 28 rarely decides anything a week later would not, so the budget goes to
the horizons where the decision is made.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm as normal

FIXED_HORIZON_DAYS = 28
EXTENDED_HORIZON_DAYS = 56
FIRST_LOOK_DAY = 7
FIXED_HORIZON_TAIL = 0.025
EXTENDED_FINAL_TAIL = 0.015
PROVISIONAL_TAIL = 0.0002
# Below this tail the null draws are too few for an empirical quantile; the interval is stretched from the 95%
# one by the ratio of normal quantiles instead.
EMPIRICAL_MINIMUM_TAIL = 0.01
ERROR_BUDGET_SPENT = (
    (FIXED_HORIZON_DAYS - FIRST_LOOK_DAY) * PROVISIONAL_TAIL
    + FIXED_HORIZON_TAIL
    + (EXTENDED_HORIZON_DAYS - FIXED_HORIZON_DAYS - 1) * PROVISIONAL_TAIL
    + EXTENDED_FINAL_TAIL
)


def look_tail(*, post_days_observed: int, post_days: int) -> float:
    """The one-sided error share of a look on post_days_observed days of a post window of post_days."""
    if post_days_observed < post_days:
        return PROVISIONAL_TAIL
    if post_days > FIXED_HORIZON_DAYS:
        return EXTENDED_FINAL_TAIL
    return FIXED_HORIZON_TAIL


def null_ratio_bounds(*, null_ratio: np.ndarray, tail: float) -> tuple[float, float]:
    """The tail and 1 - tail quantiles of the null ratio draws (stretched on the log scale for a small tail)."""
    if tail >= EMPIRICAL_MINIMUM_TAIL:
        low, high = np.quantile(null_ratio, [tail, 1.0 - tail])
        return float(low), float(high)
    log_ratio = np.log(np.maximum(null_ratio, 1e-12))
    centre = float(np.median(log_ratio))
    reference_low, reference_high = np.quantile(log_ratio, [FIXED_HORIZON_TAIL, 1.0 - FIXED_HORIZON_TAIL])
    stretch = float(normal.ppf(1.0 - tail) / normal.ppf(1.0 - FIXED_HORIZON_TAIL))
    return (
        float(np.exp(centre + (reference_low - centre) * stretch)),
        float(np.exp(centre + (reference_high - centre) * stretch)),
    )
