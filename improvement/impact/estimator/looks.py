"""How a fix's daily looks share the error budget, and the interval each look reads from the null draws.

A fix is read every day from its seventh post day. Each look's interval spends a fixed one-sided share of
the budget of a false "working" (below the interval: its high end under zero on a fix with no effect) and,
apart, of a false "worse" (its low end above zero):

| look | post days | working side | worse side |
|---|---|---|---|
| provisional, 21 looks | 7 to 27 | PROVISIONAL_TAIL 0.0002 | PROVISIONAL_TAIL 0.0002 |
| fixed-horizon verdict (post_days=28) | 28 | WORKING_FIXED_HORIZON_TAIL 0.035 | WORSE_FIXED_HORIZON_TAIL 0.025 |
| no clear effect at day 28, read on (post_days=56) | 29 to 55 | PROVISIONAL_TAIL | PROVISIONAL_TAIL |
| that fix's final verdict | 56 | WORKING_EXTENDED_FINAL_TAIL 0.01 | WORSE_EXTENDED_FINAL_TAIL 0.015 |

The worse side holds by the union bound (Bonferroni), whatever the correlation between the looks:
48 * 0.0002 + 0.025 + 0.015 = 0.0496 <= 0.05 (WORSE_BUDGET_SPENT).

The working side is where a fix's value is decided, so it spends its budget where the decision is made: the
day-28 verdict gets 0.035 and the union bound (0.0546) would overstate what the looks cost together. The looks
read one post window growing day by day: look d's statistic is a sum over the first d post days, so looks d < e
share d of e days and correlate at least sqrt(d / e) (the cumulative-sum model of group-sequential designs; a
shared counterfactual error or bursts lasting several days only raise the correlation). By Slepian's inequality
the chance that any of the looks crosses its boundary only falls as correlations rise, so the chance under the
cumulative-sum model, `false_call_chance_across_looks` (0.040 for this schedule), bounds the real one as far as
the estimator's own calls keep their nominal tail. With 0.04 at day 28 the model gave 0.045 but 480 simulated
zero-effect themes measured 0.056 across the looks, most of it at day 28 itself: the margin is for the estimator.
The provisional share is small on purpose: a look before day 28 rarely decides anything a week later would not.
bench/impact_calibration.py --suite looks measures the false calls across every look on simulated themes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm as normal

FIXED_HORIZON_DAYS = 28
EXTENDED_HORIZON_DAYS = 56
FIRST_LOOK_DAY = 7
PROVISIONAL_TAIL = 0.0002
WORKING_FIXED_HORIZON_TAIL = 0.035
WORKING_EXTENDED_FINAL_TAIL = 0.01
WORSE_FIXED_HORIZON_TAIL = 0.025
WORSE_EXTENDED_FINAL_TAIL = 0.015
# The plain 95% interval (0.025 each side): the placebo check's and the calibration benches' reference, and the
# scale a small tail is stretched from.
REFERENCE_TAIL = 0.025
ERROR_BUDGET = 0.05
# Below this tail the null draws are too few for an empirical quantile; the interval is stretched from the 95%
# one by the ratio of normal quantiles instead.
EMPIRICAL_MINIMUM_TAIL = 0.01
LOOK_MODEL_PATHS = 400_000
LOOK_MODEL_SEED = 20261204


@dataclass(frozen=True)
class LookTails:
    """The one-sided error shares a look spends: beyond the interval's high end (a false "working") and beyond
    its low end (a false "worse")."""

    working: float
    worse: float

    @property
    def level(self) -> float:
        """The interval's coverage level, 1 minus both tails (0.94 at the day-28 verdict)."""
        return 1.0 - self.working - self.worse


# The plain 95% interval's tails, the same on every look.
REFERENCE_TAILS = LookTails(working=REFERENCE_TAIL, worse=REFERENCE_TAIL)


def level_percent(level: float) -> str:
    """A coverage level as a percentage, to two decimals without trailing zeros and more where those would round a
    level below one to 100%: 0.94 as "94%", 0.935 as "93.5%", a provisional look's 0.9996 as "99.96%"."""
    decimals = 2
    while level < 1.0 and float(f"{level * 100:.{decimals}f}") >= 100.0 and decimals < 8:
        decimals += 1
    text = f"{level * 100:.{decimals}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def look_tails(*, post_days_observed: int, post_days: int) -> LookTails:
    """The tails of a look on post_days_observed days of a post window of post_days."""
    if post_days_observed < post_days:
        return LookTails(working=PROVISIONAL_TAIL, worse=PROVISIONAL_TAIL)
    if post_days > FIXED_HORIZON_DAYS:
        return LookTails(working=WORKING_EXTENDED_FINAL_TAIL, worse=WORSE_EXTENDED_FINAL_TAIL)
    return LookTails(working=WORKING_FIXED_HORIZON_TAIL, worse=WORSE_FIXED_HORIZON_TAIL)


def look_schedule(side: str) -> dict[int, float]:
    """Each look day's tail on one side ("working" or "worse"), days FIRST_LOOK_DAY to EXTENDED_HORIZON_DAYS."""
    schedule = {}
    for day in range(FIRST_LOOK_DAY, EXTENDED_HORIZON_DAYS + 1):
        post_days = FIXED_HORIZON_DAYS if day <= FIXED_HORIZON_DAYS else EXTENDED_HORIZON_DAYS
        schedule[day] = getattr(look_tails(post_days_observed=day, post_days=post_days), side)
    return schedule


def union_bound(schedule: dict[int, float]) -> float:
    """Bonferroni's bound on the chance of a false call across the looks: the sum of their tails."""
    return float(sum(schedule.values()))


def false_call_chance_across_looks(
    schedule: dict[int, float], *, paths: int = LOOK_MODEL_PATHS, seed: int = LOOK_MODEL_SEED
) -> float:
    """The chance that a fix with no effect crosses any look's boundary on one side, under the cumulative-sum
    model: look d reads the mean of d independent standard normal post days and crosses below its tail's normal
    quantile. Simulated with a fixed seed (standard error about 0.0003 at 0.044)."""
    generator = np.random.default_rng(seed)
    last_day = max(schedule)
    running_sum = np.zeros(paths)
    crossed = np.zeros(paths, dtype=bool)
    for day in range(1, last_day + 1):
        running_sum += generator.standard_normal(paths)
        if day in schedule:
            crossed |= running_sum / np.sqrt(day) < normal.ppf(schedule[day])
    return float(crossed.mean())


WORSE_BUDGET_SPENT = union_bound(look_schedule("worse"))


def null_ratio_bounds(*, null_ratio: np.ndarray, tails: LookTails) -> tuple[float, float]:
    """The `tails.working` and 1 - `tails.worse` quantiles of the null ratio draws (a tail below
    EMPIRICAL_MINIMUM_TAIL is stretched from the 95% quantiles on the log scale)."""
    return _null_quantile(null_ratio, tails.working, lower=True), _null_quantile(null_ratio, tails.worse, lower=False)


def _null_quantile(null_ratio: np.ndarray, tail: float, *, lower: bool) -> float:
    if tail >= EMPIRICAL_MINIMUM_TAIL:
        return float(np.quantile(null_ratio, tail if lower else 1.0 - tail))
    log_ratio = np.log(np.maximum(null_ratio, 1e-12))
    centre = float(np.median(log_ratio))
    reference = float(np.quantile(log_ratio, REFERENCE_TAIL if lower else 1.0 - REFERENCE_TAIL))
    stretch = float(normal.ppf(1.0 - tail) / normal.ppf(1.0 - REFERENCE_TAIL))
    return float(np.exp(centre + (reference - centre) * stretch))
