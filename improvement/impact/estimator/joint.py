"""Contacts avoided summed over several fixes, with intervals from joint simulation (numbers in, numbers out).

Each fix's estimate comes with a point value and an interval for its contacts avoided (ImpactEstimate). Those
intervals are mostly the uncertainty of its theme's counterfactual, so fixes on one theme err together: one set of
draws is shared by every fix on a theme (themes a fix joins are linked), and different themes draw independently.
A fix's draw is its point value plus a standard normal draw scaled, on each side, so that the interval's ends sit
at the quantiles its look spent (`tail` below `low`, `high_tail` above `high`; a fix's contacts avoided are low
when its effect is high, so the verdict's working tail is below `low`: 0.035, and its worse tail above: 0.025).
Totals sum the draws and read their median and 95% interval; the sum of interval ends (every fix at its worst at
once) would overstate the spread across independent themes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# Odd, so the median is a draw at the middle quantile (a lone fix gives back its own point value).
JOINT_DRAW_COUNT = 4001
JOINT_RANDOM_SEED = 20260214
JOINT_INTERVAL_LEVEL = 0.95
DEFAULT_TAIL = 0.025


@dataclass(frozen=True)
class FixAvoided:
    """One fix's contacts avoided: point value, interval [low, high] spending `tail` below low and `high_tail`
    above high (`tail` on both sides when it is None), and its themes."""

    theme_ids: tuple[int, ...]
    estimate: float
    low: float
    high: float
    tail: float = DEFAULT_TAIL
    high_tail: float | None = None


@dataclass(frozen=True)
class AvoidedTotal:
    """The median of summed draws and their 95% interval."""

    median: float
    low: float
    high: float


def avoided_draws(
    *, fixes: Sequence[FixAvoided], draw_count: int = JOINT_DRAW_COUNT, seed: int = JOINT_RANDOM_SEED
) -> np.ndarray:
    """Draws of each fix's contacts avoided, one row per fix (shape len(fixes) x draw_count).

    Fixes linked by a shared theme share one column order of standard normal quantiles (stratified, so a lone fix
    gives back its own interval); each group of linked themes gets its own random order, which makes groups
    independent of each other.
    """
    if draw_count < 2:
        raise ValueError("draw_count: at least 2 draws are needed.")
    groups = _linked_groups(fixes)
    standard = np.array([NormalDist().inv_cdf((index + 0.5) / draw_count) for index in range(draw_count)])
    generator = np.random.default_rng(seed)
    shared = {group: generator.permutation(standard) for group in sorted(set(groups))}
    draws = np.empty((len(fixes), draw_count))
    for row, (fix, group) in enumerate(zip(fixes, groups, strict=True)):
        if not fix.low <= fix.estimate <= fix.high:
            raise ValueError(f"fixes[{row}]: the estimate {fix.estimate} must lie in [{fix.low}, {fix.high}].")
        high_tail = fix.tail if fix.high_tail is None else fix.high_tail
        for name, tail in (("tail", fix.tail), ("high_tail", high_tail)):
            if not 0.0 < tail < 0.5:
                raise ValueError(f"fixes[{row}]: {name} {tail} must lie strictly between 0 and 0.5.")
        z = shared[group]
        below = (fix.estimate - fix.low) / NormalDist().inv_cdf(1.0 - fix.tail)
        above = (fix.high - fix.estimate) / NormalDist().inv_cdf(1.0 - high_tail)
        draws[row] = fix.estimate + np.where(z < 0.0, z * below, z * above)
    return draws


def avoided_total(*, draws: np.ndarray, rows: Sequence[int]) -> AvoidedTotal:
    """The median and 95% interval of the summed draws of the fixes at `rows` (zeros when there are none)."""
    if not rows:
        return AvoidedTotal(median=0.0, low=0.0, high=0.0)
    summed = draws[list(rows)].sum(axis=0)
    tail = (1.0 - JOINT_INTERVAL_LEVEL) / 2.0
    # Hazen's plotting positions match the stratified quantiles the draws are made of: a lone fix reads back its own.
    low, median, high = np.quantile(summed, [tail, 0.5, 1.0 - tail], method="hazen")
    return AvoidedTotal(median=float(median), low=float(low), high=float(high))


def _linked_groups(fixes: Sequence[FixAvoided]) -> list[int]:
    """For each fix, a group number shared by every fix it is linked to through themes (union-find on themes);
    a fix with no themes is a group of its own. Numbers follow the first fix of each group."""
    parent: dict[int, int] = {}

    def root(theme_id: int) -> int:
        while parent[theme_id] != theme_id:
            parent[theme_id] = parent[parent[theme_id]]
            theme_id = parent[theme_id]
        return theme_id

    for fix in fixes:
        for theme_id in fix.theme_ids:
            parent.setdefault(theme_id, theme_id)
        for theme_id in fix.theme_ids[1:]:
            parent[root(theme_id)] = root(fix.theme_ids[0])
    numbers: dict[object, int] = {}
    groups = []
    for row, fix in enumerate(fixes):
        key: object = ("theme", root(fix.theme_ids[0])) if fix.theme_ids else ("alone", row)
        groups.append(numbers.setdefault(key, len(numbers)))
    return groups
