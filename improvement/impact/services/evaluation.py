"""Measuring shipped fixes: store their impact, record verdicts, and catch fixes that stop working.

The numbers come from improvement.impact.estimator.estimate_impact (pure); this module reads the daily count
tables, stores one FixImpact per fix and moves fixes through improvement.workflow.services.fixes.

Regression ("climbs back"), checked daily on every fix whose verdict is `working`:

* The recent window is the last 28 counted days. It is checked only once it lies wholly after the
  fix's own 28-day post window, so it never re-reads the days that earned the verdict.
* It is compared with the same baseline as the verdict: the theme's contacts before the ship date,
  modelled on the other contacts (estimate_impact's pre-period model). To keep the pre-period
  trend from being extrapolated across the months since the fix, the recent window is placed
  right after the pre period, moved back by whole weeks (weekday effects stay aligned); the
  pre period then ends up to 6 days before the ship date. The question asked is therefore "is the
  theme back near its pre-fix share of the contacts?".
* The fix has regressed when the recent estimate has enough volume to judge (its verdict is not
  too_early) and both: its plain 95% interval no longer lies wholly below zero (ci95_high >= 0), and its
  point estimate has lost at least half of the verified effect
  (recent_relative_effect >= verified relative_effect / 2; a -40% fix regresses from about -20%).
  The fix becomes `regressed`, the issue reopens (improvement.workflow.transitions), and the lead who
  raised the issue and the owners of the fix's department are emailed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from improvement.errors import ImpactUnavailable, TransitionNotAllowed
from improvement.impact.estimator import (
    VERDICT_INCONCLUSIVE,
    VERDICT_NO_CLEAR_EFFECT,
    VERDICT_TOO_EARLY,
    VERDICT_WORKING,
    VERDICT_WORSE,
    estimate_impact,
)
from improvement.impact.estimator.looks import EXTENDED_HORIZON_DAYS, level_percent
from improvement.impact.selectors import (
    IMPACT_ESTIMATE_FIELDS,
    POST_DAYS,
    PRE_DAYS,
    RECENT_DAYS,
    fix_impact_estimates,
    fix_theme_ids,
    impact_series,
    last_counted_day,
)
from improvement.models import FixImpact, FixTicket
from improvement.volumes.selectors import volume_date_range
from improvement.workflow.services.fixes import fix_record_verdict

logger = logging.getLogger(__name__)

# A regressed fix has lost at least this share of its verified effect.
REGRESSION_LOST_SHARE = 0.5
# Fixes whose impact is (re-)estimated by the daily job; later verdicts are final. A fix with no clear effect is
# measured until its 56-day window is complete.
EVALUATED_STATUSES = (FixTicket.Status.SHIPPED, FixTicket.Status.WORKING, FixTicket.Status.NO_CLEAR_EFFECT)


def _percent(value: float) -> str:
    return f"{value:+.0%}"


def impact_summary(*, impact: FixImpact) -> str:
    """One sentence on an estimate, for verdict notes and emails."""
    level = impact.interval_level
    placebo = ""
    if impact.placebo_runs:
        placebo = f" Placebo check: {impact.placebo_found} of {impact.placebo_runs} fake ship dates found an effect."
    reason = f" {impact.verdict_reason}" if impact.verdict_reason else ""
    return (
        f"Contacts on the theme {_percent(impact.relative_effect)} against the expected level "
        f"({level_percent(level)} interval {_percent(impact.ci_low)} to {_percent(impact.ci_high)}) "
        f"over {impact.post_days_observed} days from {impact.ship_date.isoformat()}; about "
        f"{impact.contacts_avoided:.0f} contacts avoided ({impact.contacts_avoided_low:.0f} to "
        f"{impact.contacts_avoided_high:.0f}).{placebo}{reason}"
    )


def fix_impact_evaluate(*, fix: FixTicket) -> FixImpact:
    """Estimate the shipped fix's impact, store it (one row per fix), and record a verdict on the fix.

    Provisional (fewer than 28 post days) and too-early results are stored but leave the fix as it is. At day 28
    the fix still `shipped` gets its verdict (an inconclusive one is recorded as no clear effect, with the reason);
    a fix with no clear effect is measured on to day 56, where a clear effect either way becomes its final
    verdict. Raises ImpactUnavailable when it cannot be measured.
    """
    at_day_28, estimated = fix_impact_estimates(fix=fix)
    with transaction.atomic():
        impact, _ = FixImpact.objects.update_or_create(
            fix=fix, defaults={field: getattr(estimated, field) for field in IMPACT_ESTIMATE_FIELDS}
        )
        verdict, note = _verdict_to_record(fix=fix, at_day_28=at_day_28, shown=impact)
        if verdict:
            try:
                fix_record_verdict(fix=fix, verdict=verdict, note=note)
            except TransitionNotAllowed:
                # Another evaluation recorded the verdict first.
                logger.info("fix %s already has a verdict", fix.pk)
    return impact


def _verdict_to_record(*, fix: FixTicket, at_day_28: FixImpact, shown: FixImpact) -> tuple[str, str]:
    """The verdict to record on the fix now and its note, or ("", "") when there is none to record."""
    is_final_at_day_28 = not at_day_28.is_provisional and at_day_28.verdict != VERDICT_TOO_EARLY
    if fix.status == FixTicket.Status.SHIPPED and is_final_at_day_28:
        verdict = at_day_28.verdict
        if verdict == VERDICT_INCONCLUSIVE:
            verdict = VERDICT_NO_CLEAR_EFFECT
        return verdict, impact_summary(impact=at_day_28)
    is_final_at_day_56 = shown.post_days_observed >= EXTENDED_HORIZON_DAYS and not shown.is_provisional
    if (
        fix.status == FixTicket.Status.NO_CLEAR_EFFECT
        and is_final_at_day_56
        and shown.verdict in (VERDICT_WORKING, VERDICT_WORSE)
    ):
        return shown.verdict, impact_summary(impact=shown)
    return "", ""


@dataclass(frozen=True)
class RegressionCheck:
    """The outcome of checking a working fix against its recent 28 days."""

    is_checked: bool
    is_regressed: bool = False
    reason: str = ""


def fix_regression_check(*, fix: FixTicket) -> RegressionCheck:
    """Check a working fix's recent 28 days against its pre-fix level; mark it regressed when it climbed back.

    The rule is in this module's docstring. Stores the recent estimate on the fix's FixImpact.
    """
    if fix.status != FixTicket.Status.WORKING or fix.shipped_on is None:
        return RegressionCheck(is_checked=False, reason="only working fixes are checked")
    impact = FixImpact.objects.filter(fix=fix).first()
    if impact is None or impact.verdict != FixImpact.Verdict.WORKING:
        return RegressionCheck(is_checked=False, reason="no working impact estimate stored")
    ship_date = fix.shipped_on
    bounds = volume_date_range()
    recent_end = last_counted_day()
    if bounds is None or recent_end is None:
        return RegressionCheck(is_checked=False, reason="no contacts counted")
    recent_start = recent_end - dt.timedelta(days=RECENT_DAYS - 1)
    if recent_start < ship_date + dt.timedelta(days=POST_DAYS):
        return RegressionCheck(is_checked=False, reason="the recent window still overlaps the verdict's window")
    weeks_back = -(-(recent_start - ship_date).days // 7)
    placed_start = recent_start - dt.timedelta(weeks=weeks_back)
    pre_start = max(bounds[0], placed_start - dt.timedelta(days=PRE_DAYS))
    theme_ids = fix_theme_ids(fix=fix)
    pre_days, pre_theme, pre_total = impact_series(
        theme_ids=theme_ids, start=pre_start, end=placed_start - dt.timedelta(days=1)
    )
    _, recent_theme, recent_total = impact_series(theme_ids=theme_ids, start=recent_start, end=recent_end)
    placed_days = [placed_start + dt.timedelta(days=offset) for offset in range(RECENT_DAYS)]
    try:
        recent = estimate_impact(
            days=pre_days + placed_days,
            theme_counts=pre_theme + recent_theme,
            total_counts=pre_total + recent_total,
            ship_date=placed_start,
            post_days=RECENT_DAYS,
        )
    except ValueError as error:
        return RegressionCheck(is_checked=False, reason=str(error))
    is_regressed = (
        recent.verdict != VERDICT_TOO_EARLY
        and recent.ci95_high >= 0
        and recent.relative_effect >= impact.relative_effect * REGRESSION_LOST_SHARE
    )
    with transaction.atomic():
        FixImpact.objects.filter(pk=impact.pk).update(
            recent_checked_at=timezone.now(),
            recent_start=recent_start,
            recent_end=recent_end,
            recent_relative_effect=recent.relative_effect,
            recent_ci_low=recent.ci95_low,
            recent_ci_high=recent.ci95_high,
        )
        if is_regressed:
            note = (
                f"Contacts on the theme climbed back: {_percent(recent.relative_effect)} against the pre-fix level "
                f"over {recent_start.isoformat()} to {recent_end.isoformat()} (95% interval "
                f"{_percent(recent.ci95_low)} to {_percent(recent.ci95_high)}), after "
                f"{_percent(impact.relative_effect)} when verified."
            )
            try:
                fix_record_verdict(fix=fix, verdict=FixTicket.Status.REGRESSED, note=note)
            except TransitionNotAllowed:
                logger.info("fix %s already left working", fix.pk)
                return RegressionCheck(is_checked=True, reason="the fix already left working")
    return RegressionCheck(is_checked=True, is_regressed=is_regressed)


@dataclass
class DailyEvaluationResult:
    """What the daily impact job did."""

    evaluated: int = 0
    verdicts: int = 0
    regressed: int = 0
    unavailable: int = 0


def fix_impact_evaluate_all_shipped() -> DailyEvaluationResult:
    """The daily job: estimate every shipped or working fix, record verdicts, check working fixes for regression."""
    result = DailyEvaluationResult()
    fixes = (
        FixTicket.objects.filter(status__in=EVALUATED_STATUSES)
        .exclude(
            status=FixTicket.Status.NO_CLEAR_EFFECT,
            impact__post_days_observed__gte=EXTENDED_HORIZON_DAYS,
            impact__is_provisional=False,
        )
        .select_related("issue")
        .order_by("id")
    )
    for fix in fixes:
        before = fix.status
        try:
            fix_impact_evaluate(fix=fix)
        except ImpactUnavailable as error:
            logger.info("fix %s not measured: %s", fix.pk, error)
            result.unavailable += 1
            continue
        result.evaluated += 1
        fix.refresh_from_db(fields=["status"])
        if fix.status != before:
            result.verdicts += 1
        if fix.status == FixTicket.Status.WORKING and fix_regression_check(fix=fix).is_regressed:
            result.regressed += 1
    return result
