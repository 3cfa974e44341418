"""`manage.py impact_report --fix ID`: a readable account of a shipped fix's impact."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from improvement.errors import ImpactUnavailable
from improvement.impact.estimator.looks import level_percent
from improvement.impact.services.evaluation import fix_impact_evaluate
from improvement.models import FixImpact, FixTicket


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1%}"


class Command(BaseCommand):
    help = "Print a shipped fix's impact: verdict, effect with interval, contacts avoided, actual vs expected by day."

    def add_arguments(self, parser):
        parser.add_argument("--fix", type=int, required=True, help="The fix ticket's id.")
        parser.add_argument(
            "--refresh", action="store_true", help="Evaluate again now instead of printing the stored estimate."
        )

    def handle(self, *args, **options):
        fix = FixTicket.objects.select_related("issue", "department").filter(pk=options["fix"]).first()
        if fix is None:
            raise CommandError(f"no fix with id {options['fix']}")
        impact = None if options["refresh"] else FixImpact.objects.filter(fix=fix).first()
        if impact is None:
            try:
                impact = fix_impact_evaluate(fix=fix)
            except ImpactUnavailable as error:
                raise CommandError(f"fix {fix.pk} cannot be measured: {error}") from error
            fix.refresh_from_db()
        write = self.stdout.write
        write(f'Fix {fix.pk} ({fix.department.name}) for issue #{fix.issue_id} "{fix.issue.title}"')
        write(
            f"Status: {fix.get_status_display()}; shipped on {impact.ship_date.isoformat()}; themes {impact.theme_ids}"
        )
        provisional = " (provisional)" if impact.is_provisional else ""
        write(f"Verdict: {impact.get_verdict_display()}{provisional}, computed {impact.computed_at:%Y-%m-%d %H:%M}")
        write(
            f"Effect: {_percent(impact.relative_effect)} ({level_percent(impact.interval_level)} interval "
            f"{_percent(impact.ci_low)} to {_percent(impact.ci_high)}), p = {impact.p_value:.3f}"
        )
        write(
            f"Contacts avoided: {impact.contacts_avoided:.0f} ({impact.contacts_avoided_low:.0f} to "
            f"{impact.contacts_avoided_high:.0f}); actual {impact.actual_total} vs expected "
            f"{impact.counterfactual_total:.0f} over {impact.post_days_observed} days "
            f"(baseline: {impact.pre_days_used} days before shipping)"
        )
        if impact.recent_checked_at is not None:
            write(
                f"Recent check {impact.recent_start.isoformat()} to {impact.recent_end.isoformat()}: "
                f"{_percent(impact.recent_relative_effect)} (95% interval {_percent(impact.recent_ci_low)} to "
                f"{_percent(impact.recent_ci_high)})"
            )
        write("")
        write(f"{'day':<12}{'actual':>8}{'expected':>10}{'95% band':>16}")
        for day, actual, expected, low, high in zip(
            impact.dates, impact.actual, impact.counterfactual, impact.low, impact.high, strict=True
        ):
            write(f"{day:<12}{actual:>8}{expected:>10.1f}{f'{low:.0f}–{high:.0f}':>16}")
