"""Impact of a shipped fix on one theme's daily contact counts: pure numbers in, numbers out.

The model (chosen by bench/impact_calibration.py, which compares it with alternatives):

* Pre period: a Poisson log-linear model of the theme's daily count with log(other contacts) as
  offset (other = total minus the theme, so a fix's drop does not depress its own control),
  weekday effects and a linear trend in time. It is fitted robustly (Huber, then Tukey's
  biweight on the Pearson residuals) so a multi-day burst (an outage) neither tilts the trend
  nor lifts the level.
* The trend is shrunk towards none by a normal prior on it (ridge): the theme's share drifts with the sd
  EstimatorOptions.trend_prior_annual_drift (1.3 in log units a year, chosen on the 56-day bench: 1.0 undercovers
  growing shares, 1.6 costs power), so its coefficient (the log change over the pre period) has the prior sd
  tau = 1.3 * pre days / 365. With se its standard error (a sandwich
  under the noise model below, so autocorrelation counts), the projection uses the posterior mean, the weight
  tau^2 / (tau^2 + se^2) of the fit with the trend mixed with the fit without it (to first order, the shrunk
  slope with the other coefficients refitted). An extrapolated trend is the costliest part of the
  counterfactual's uncertainty on a short history; the prior keeps a 56-day history from paying in full for a trend
  it cannot rule out, while a long one is left to its data. (Round one shrank by max(0, 1 - 1/z^2), empirical
  Bayes on the theme alone; EstimatorOptions(trend_rule="soft") keeps it for comparison.)
* Post period: the fitted model projected with the observed other contacts is the
  counterfactual; the effect is the robust (biweight) level of actual over counterfactual, so an
  unrelated outage after the ship date does not count as the fix's doing.
* Uncertainty: the pre-period residuals beyond Poisson are summarised as white noise plus an
  AR(1) process (overdispersion and autocorrelation, matched at the daily and weekly scales).
  The residual means over 7, 14 and 21 days must vary no less than that model implies (a slow
  wander the trend no longer absorbs shows there). Whole series are simulated from it around the posterior-mean
  fit: the model is re-estimated on each simulated pre period (one Newton step, with and without the trend),
  each draw's trend shrunk by the same weight, and a further normal trend draw of variance se^2 w (1 - w) added,
  so the draws carry the trend's whole posterior variance w se^2; the post level is estimated as on the real
  series with the Poisson sampling redrawn at the post volume. The effect
  interval inverts that null distribution of actual over counterfactual.

The alternatives the bench compares are EstimatorOptions (options.py). The parts live beside this module:
fitting.py (design matrix, robust Poisson fit, robust post level, trend-shrinkage rule), noise.py (the noise model
and the trend's standard error under it), null_distribution.py (the simulated null), window.py (one post window's
fit, projection and null), looks.py (each daily look's share of the error budget) and placebo.py (the placebo
check at fake ship dates).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from improvement.impact.estimator.looks import (
    REFERENCE_TAILS,
    WORKING_FIXED_HORIZON_TAIL,
    WORSE_FIXED_HORIZON_TAIL,
    LookTails,
    look_tails,
    null_ratio_bounds,
)
from improvement.impact.estimator.null_distribution import BOOTSTRAP_DRAWS, INTERVAL_LEVEL
from improvement.impact.estimator.options import EstimatorOptions
from improvement.impact.estimator.placebo import PLACEBO_INCONCLUSIVE_FOUND, _placebo_check
from improvement.impact.estimator.window import (
    MAXIMUM_PRE_DAYS,
    MINIMUM_POST_DAYS,
    MINIMUM_POST_VOLUME,
    MINIMUM_PRE_DAYS,
    RANDOM_SEED,
    _estimate_window,
    _WindowEstimate,
)

__all__ = [
    "MAXIMUM_PRE_DAYS",
    "MINIMUM_POST_DAYS",
    "MINIMUM_POST_VOLUME",
    "MINIMUM_PRE_DAYS",
    "RANDOM_SEED",
    "VERDICT_INCONCLUSIVE",
    "VERDICT_NO_CLEAR_EFFECT",
    "VERDICT_TOO_EARLY",
    "VERDICT_WORKING",
    "VERDICT_WORSE",
    "ImpactEstimate",
    "estimate_impact",
]

VERDICT_WORKING = "working"
VERDICT_WORSE = "worse"
VERDICT_NO_CLEAR_EFFECT = "no_clear_effect"
VERDICT_TOO_EARLY = "too_early"
VERDICT_INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class ImpactEstimate:
    """The estimated effect of a fix on its theme over the post window (up to post_days).

    relative_effect is actual over counterfactual minus one (-0.3: 30% fewer contacts), with the interval
    [ci_low, ci_high] the verdict reads: interval_tail is the one-sided error it spends above ci_high (a false
    "working") and interval_worse_tail below ci_low (a false "worse"); 0.035 and 0.025 at the day-28 verdict, a
    94% interval, and far less on a provisional look (looks.py shares the budget across the daily looks).
    [ci95_low, ci95_high] is the plain 95% interval of the same estimate (0.025 each side), the calibration
    benches' coverage reference. counterfactual is the expected count per post day with
    a 95% predictive band; contacts_avoided is -relative_effect times the counterfactual total, with
    the interval that follows from the effect's. verdict is one of working, worse, no_clear_effect,
    inconclusive (verdict_reason says why) or too_early; is_provisional says fewer than post_days post days
    exist. placebo_found of placebo_runs fake ship dates before the real one "found" an effect.
    """

    relative_effect: float
    ci_low: float
    ci_high: float
    p_value: float
    verdict: str
    is_provisional: bool
    post_days_observed: int
    pre_days_used: int
    post_dates: tuple[datetime.date, ...]
    actual: tuple[int, ...]
    counterfactual: tuple[float, ...]
    counterfactual_low: tuple[float, ...]
    counterfactual_high: tuple[float, ...]
    actual_total: int
    counterfactual_total: float
    contacts_avoided: float
    contacts_avoided_low: float
    contacts_avoided_high: float
    ci95_low: float
    ci95_high: float
    interval_tail: float = WORKING_FIXED_HORIZON_TAIL
    interval_worse_tail: float = WORSE_FIXED_HORIZON_TAIL
    placebo_runs: int = 0
    placebo_found: int = 0
    verdict_reason: str = ""


def estimate_impact(
    *,
    days: Sequence[datetime.date],
    theme_counts: Sequence[int],
    total_counts: Sequence[int],
    ship_date: datetime.date,
    post_days: int = 28,
    options: EstimatorOptions | None = None,
    earlier_ship_dates: Sequence[datetime.date] = (),
    checks_placebos: bool = True,
) -> ImpactEstimate:
    """Estimate how a fix live from ship_date changed a theme's daily contacts.

    `days` are consecutive dates; `theme_counts` and `total_counts` are that day's contacts on
    the theme and in all (the total includes the theme). Days before ship_date are the pre
    period; ship_date and up to post_days - 1 days after it are the post window. `options`
    selects one of the designs bench/impact_calibration.py compares; by default the chosen one.
    `earlier_ship_dates` are earlier fixes on the same theme: each gets a level shift from its date on, so
    the counterfactual keeps their effects and this fix is measured against them. `checks_placebos` runs
    the placebo check (the bench turns it off to measure the estimator alone).
    """
    options = EstimatorOptions() if options is None else options
    theme, total, ship_index = _validated_series(
        days=days,
        theme_counts=theme_counts,
        total_counts=total_counts,
        ship_date=ship_date,
        post_days=post_days,
    )
    earlier_indices = _validated_earlier_ship_indices(
        days=days, ship_date=ship_date, earlier_ship_dates=earlier_ship_dates
    )
    weekday = np.array([day.weekday() for day in days])
    post_end = min(len(theme), ship_index + post_days)
    window = _estimate_window(
        theme=theme,
        total=total,
        weekday=weekday,
        ship_index=ship_index,
        post_end=post_end,
        earlier_indices=earlier_indices,
        options=options,
        draw_count=BOOTSTRAP_DRAWS,
        seed=RANDOM_SEED,
    )
    estimate = _summary(
        post_dates=tuple(days[ship_index:post_end]),
        window=window,
        tails=look_tails(post_days_observed=post_end - ship_index, post_days=post_days),
        post_days=post_days,
    )
    if not checks_placebos or estimate.verdict == VERDICT_TOO_EARLY:
        return estimate
    placebo_runs, placebo_found = _placebo_check(
        theme=theme,
        total=total,
        weekday=weekday,
        ship_index=ship_index,
        window_length=post_end - ship_index,
        earlier_indices=earlier_indices,
        options=options,
    )
    verdict, reason = estimate.verdict, ""
    if placebo_found >= PLACEBO_INCONCLUSIVE_FOUND and 2 * placebo_found > placebo_runs:
        verdict = VERDICT_INCONCLUSIVE
        reason = (
            f"{placebo_found} of {placebo_runs} placebo checks (the same estimate at fake ship dates before the "
            f"real one) found an effect where there was none, so this theme's history cannot support a verdict."
        )
    return replace(
        estimate, verdict=verdict, verdict_reason=reason, placebo_runs=placebo_runs, placebo_found=placebo_found
    )


def _summary(
    *,
    post_dates: tuple[datetime.date, ...],
    window: _WindowEstimate,
    tails: LookTails,
    post_days: int,
) -> ImpactEstimate:
    """The estimate: the effect, its interval (spending `tails`) and p-value, the counterfactual band."""
    actual_post, fitted_post, observed_level = window.actual_post, window.fitted_post, window.observed_level
    null_ratio = window.null_ratio
    post_days_observed = len(actual_post)
    ratio_low, ratio_high = null_ratio_bounds(null_ratio=null_ratio, tails=tails)
    relative_effect = observed_level - 1.0
    ci_low = observed_level / ratio_high - 1.0
    ci_high = observed_level / ratio_low - 1.0
    reference_low, reference_high = null_ratio_bounds(null_ratio=null_ratio, tails=REFERENCE_TAILS)
    share_below = float(np.mean(null_ratio <= observed_level))
    share_above = float(np.mean(null_ratio >= observed_level))
    p_value = min(1.0, 2.0 * min(share_below, share_above) + 1.0 / len(null_ratio))

    actual_total = int(actual_post.sum())
    counterfactual = fitted_post
    counterfactual_total = float(fitted_post.sum())
    band_tail = (1.0 - INTERVAL_LEVEL) / 2.0
    band_low, band_high = np.quantile(window.counterfactual_draws, [band_tail, 1.0 - band_tail], axis=0)

    verdict = _verdict(
        ci_low=ci_low,
        ci_high=ci_high,
        post_days_observed=post_days_observed,
        counterfactual_total=counterfactual_total,
    )
    return ImpactEstimate(
        relative_effect=float(relative_effect),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        p_value=float(p_value),
        verdict=verdict,
        is_provisional=post_days_observed < post_days,
        post_days_observed=post_days_observed,
        pre_days_used=window.pre_days_used,
        post_dates=post_dates,
        actual=tuple(int(value) for value in actual_post),
        counterfactual=tuple(float(value) for value in counterfactual),
        counterfactual_low=tuple(float(value) for value in band_low),
        counterfactual_high=tuple(float(value) for value in band_high),
        actual_total=actual_total,
        counterfactual_total=float(counterfactual_total),
        contacts_avoided=float(-relative_effect * counterfactual_total),
        contacts_avoided_low=float(-ci_high * counterfactual_total),
        contacts_avoided_high=float(-ci_low * counterfactual_total),
        interval_tail=tails.working,
        interval_worse_tail=tails.worse,
        ci95_low=float(observed_level / reference_high - 1.0),
        ci95_high=float(observed_level / reference_low - 1.0),
    )


def _validated_earlier_ship_indices(
    *, days: Sequence[datetime.date], ship_date: datetime.date, earlier_ship_dates: Sequence[datetime.date]
) -> tuple[int, ...]:
    """The indices of earlier fixes' ship dates; each must lie in days and at least a week before ship_date."""
    indices = []
    for earlier in earlier_ship_dates:
        if earlier < days[0] or (ship_date - earlier).days < MINIMUM_POST_DAYS:
            raise ValueError(
                f"earlier_ship_dates: {earlier} must lie within days and at least {MINIMUM_POST_DAYS} days before "
                f"ship_date {ship_date}."
            )
        indices.append((earlier - days[0]).days)
    return tuple(sorted(set(indices)))


def _validated_series(
    *,
    days: Sequence[datetime.date],
    theme_counts: Sequence[int],
    total_counts: Sequence[int],
    ship_date: datetime.date,
    post_days: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Check the inputs, naming the problem in a ValueError; return theme and total counts and the ship date's index."""
    if not (len(days) == len(theme_counts) == len(total_counts)):
        raise ValueError(
            f"days, theme_counts and total_counts must have the same length "
            f"(got {len(days)}, {len(theme_counts)}, {len(total_counts)})."
        )
    if post_days < 1:
        raise ValueError(f"post_days must be at least 1 (got {post_days}).")
    for position in range(1, len(days)):
        if days[position] - days[position - 1] != datetime.timedelta(days=1):
            raise ValueError(f"days must be consecutive dates: {days[position - 1]} is followed by {days[position]}.")
    theme = np.asarray(theme_counts, dtype=float)
    total = np.asarray(total_counts, dtype=float)
    if not (np.all(np.isfinite(theme)) and np.all(np.isfinite(total))):
        raise ValueError("theme_counts and total_counts must be finite numbers.")
    if np.any(theme < 0) or np.any(total < 0):
        raise ValueError("theme_counts and total_counts must not be negative.")
    if np.any(theme > total):
        first = int(np.argmax(theme > total))
        raise ValueError(
            f"theme_counts must not exceed total_counts (the total includes the theme): "
            f"{days[first]} has {theme[first]:g} > {total[first]:g}."
        )
    if not days or ship_date < days[0] or ship_date > days[-1]:
        first_day = days[0] if days else None
        last_day = days[-1] if days else None
        raise ValueError(f"ship_date {ship_date} is outside days ({first_day} to {last_day}).")
    ship_index = (ship_date - days[0]).days
    if ship_index < MINIMUM_PRE_DAYS:
        raise ValueError(
            f"too few pre days: {ship_index} days before ship_date {ship_date}, at least {MINIMUM_PRE_DAYS} are needed."
        )
    if theme[:ship_index].sum() == 0:
        raise ValueError("the theme has no contacts before ship_date, so there is no baseline to compare with.")
    return theme, total, ship_index


def _verdict(
    *,
    ci_low: float,
    ci_high: float,
    post_days_observed: int,
    counterfactual_total: float,
) -> str:
    """working, worse or no_clear_effect by where the interval lies; too_early on too few post days or contacts."""
    if post_days_observed < MINIMUM_POST_DAYS or not counterfactual_total >= MINIMUM_POST_VOLUME:
        return VERDICT_TOO_EARLY
    if ci_high < 0:
        return VERDICT_WORKING
    if ci_low > 0:
        return VERDICT_WORSE
    return VERDICT_NO_CLEAR_EFFECT
