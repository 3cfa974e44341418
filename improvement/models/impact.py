"""Stored results of the impact evaluation of shipped fixes."""

from __future__ import annotations

from django.db import models


class FixImpact(models.Model):
    """The latest impact estimate of one shipped fix on its issue's themes (improvement.impact.estimator).

    Series are JSON lists aligned with `dates` (ISO days of the post window, from the ship date) and
    `pre_dates` (the pre period used, for charts). Replaced in place by each evaluation.
    """

    class Verdict(models.TextChoices):
        WORKING = "working", "Working"
        NO_CLEAR_EFFECT = "no_clear_effect", "No clear effect"
        WORSE = "worse", "Worse"
        TOO_EARLY = "too_early", "Too early to tell"
        INCONCLUSIVE = "inconclusive", "Inconclusive"

    fix = models.OneToOneField("improvement.FixTicket", on_delete=models.CASCADE, related_name="impact")
    computed_at = models.DateTimeField()
    # The ship date and themes (merged ones followed to their survivor) the estimate was computed for.
    ship_date = models.DateField()
    theme_ids = models.JSONField(default=list, blank=True)
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    is_provisional = models.BooleanField()
    post_days_observed = models.PositiveIntegerField()
    pre_days_used = models.PositiveIntegerField(default=0)
    relative_effect = models.FloatField()
    ci_low = models.FloatField()
    ci_high = models.FloatField()
    p_value = models.FloatField()
    # The one-sided errors this look's interval spends above ci_high (a false "working") and below ci_low (a false
    # "worse"): 0.035 and 0.025 at the day-28 verdict (see estimator/looks.py).
    interval_tail = models.FloatField(default=0.025)
    interval_worse_tail = models.FloatField(default=0.025)
    # The placebo check: fake ship dates in the pre period read alike, and how many "found" an effect.
    placebo_runs = models.PositiveIntegerField(default=0)
    placebo_found = models.PositiveIntegerField(default=0)
    # Why the verdict is inconclusive (empty otherwise).
    verdict_reason = models.TextField(blank=True, default="")
    contacts_avoided = models.FloatField()
    contacts_avoided_low = models.FloatField()
    contacts_avoided_high = models.FloatField()
    actual_total = models.PositiveIntegerField()
    counterfactual_total = models.FloatField()
    dates = models.JSONField(default=list, blank=True)
    actual = models.JSONField(default=list, blank=True)
    counterfactual = models.JSONField(default=list, blank=True)
    low = models.JSONField(default=list, blank=True)
    high = models.JSONField(default=list, blank=True)
    pre_dates = models.JSONField(default=list, blank=True)
    pre_actual = models.JSONField(default=list, blank=True)
    # The regression check on a working fix: the most recent 28 days against the same pre period
    # (see improvement.impact.services.evaluation.fix_regression_check); empty until first checked.
    recent_checked_at = models.DateTimeField(null=True, blank=True)
    recent_start = models.DateField(null=True, blank=True)
    recent_end = models.DateField(null=True, blank=True)
    recent_relative_effect = models.FloatField(null=True, blank=True)
    recent_ci_low = models.FloatField(null=True, blank=True)
    recent_ci_high = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"Impact of fix {self.fix_id}: {self.verdict} ({self.relative_effect:+.0%})"

    @property
    def interval_level(self) -> float:
        """The coverage level of [ci_low, ci_high]: 0.94 at the day-28 verdict, near 1 on a provisional look."""
        return 1.0 - self.interval_tail - self.interval_worse_tail
