"""The impact estimator: numbers in, numbers out (no ORM, no Django)."""

from __future__ import annotations

from improvement.impact.estimator.model import (
    MINIMUM_POST_DAYS,
    MINIMUM_PRE_DAYS,
    VERDICT_INCONCLUSIVE,
    VERDICT_NO_CLEAR_EFFECT,
    VERDICT_TOO_EARLY,
    VERDICT_WORKING,
    VERDICT_WORSE,
    ImpactEstimate,
    estimate_impact,
)
from improvement.impact.estimator.options import EstimatorOptions

__all__ = [
    "MINIMUM_POST_DAYS",
    "MINIMUM_PRE_DAYS",
    "VERDICT_INCONCLUSIVE",
    "VERDICT_NO_CLEAR_EFFECT",
    "VERDICT_TOO_EARLY",
    "VERDICT_WORKING",
    "VERDICT_WORSE",
    "EstimatorOptions",
    "ImpactEstimate",
    "estimate_impact",
]
