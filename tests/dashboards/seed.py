"""A small, deterministic data set for the dashboard tests: cases, themes, daily counts, issues, fixes, impact.

No model fitting: cases, themes and their links are written directly, then the daily count tables are refreshed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from cases.models import Case
from improvement.demo.seeding import demo_seed_people
from improvement.models import (
    CaseTheme,
    Department,
    FixImpact,
    FixTicket,
    ImprovementIssue,
    IssueEvent,
    Theme,
    ThemeAlert,
)
from improvement.volumes.services import daily_volumes_refresh

DAYS = 90
BRANDS = ("acme", "globex")
CHANNELS = ("twitter", "email")
THEME_LABELS = (
    "Parcel marked delivered but never arrived",
    "Refund not received after return",
    "App login fails after update",
    "Card payment declined at checkout",
    "Courier was rude at the door",
    "Gift card balance missing",
)
NEW_THEME_DAYS = 10
SHIPPED_DAYS_AGO = 30


@dataclass
class DashboardSeed:
    end: dt.date
    themes: list[Theme] = field(default_factory=list)
    shipped_fix: FixTicket | None = None
    proposed_fix: FixTicket | None = None
    issue: ImprovementIssue | None = None
    case_count: int = 0


def theme_daily_count(*, theme_index: int, days_before_end: int) -> int:
    """Cases of a theme on a day, per brand and channel pair (the first theme halves after its fix ships)."""
    if theme_index == 5 and days_before_end >= NEW_THEME_DAYS:
        return 0
    count = 1 + (theme_index % 3) + (1 if days_before_end % 7 == 0 else 0)
    if theme_index == 0:
        count += 3 if days_before_end >= SHIPPED_DAYS_AGO else 1
    if theme_index == 4 and days_before_end < 7:
        count += 4
    return count


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=timezone.get_current_timezone())


def dashboard_seed(*, end: dt.date | None = None) -> DashboardSeed:
    """Create users (demo logins, password `demo`), 6 themes over 90 days of cases, one unassigned case a day,
    an issue on the first theme with a shipped fix (measured), an accepted, a rejected and a proposed fix."""
    demo_seed_people()
    end = end or timezone.localdate()
    seed = DashboardSeed(end=end)
    seed.themes = [
        Theme.objects.create(label=label, keywords=label.lower().split()[:4], status=Theme.Status.ACTIVE)
        for label in THEME_LABELS
    ]
    cases, links = [], []
    sequence = 0
    for days_before_end in range(DAYS):
        day = end - dt.timedelta(days=days_before_end)
        for theme_index, theme in enumerate(seed.themes):
            for brand in BRANDS:
                for channel in CHANNELS:
                    for number in range(theme_daily_count(theme_index=theme_index, days_before_end=days_before_end)):
                        sequence += 1
                        cases.append(
                            Case(
                                channel=channel,
                                external_id=f"seed-{sequence}",
                                brand=brand,
                                text=f"{theme.label.lower()} ({brand}, case {sequence})",
                                received_at=_at(day, 8 + number % 10),
                            )
                        )
                        links.append(theme)
        sequence += 1
        cases.append(
            Case(
                channel="twitter",
                external_id=f"seed-{sequence}",
                brand="acme",
                text="hello, anyone there?",
                received_at=_at(day, 20),
            )
        )
        links.append(None)
    created = Case.objects.bulk_create(cases, batch_size=2000)
    CaseTheme.objects.bulk_create(
        [
            CaseTheme(case=case, theme=theme, source=CaseTheme.Source.FIT)
            for case, theme in zip(created, links, strict=True)
            if theme is not None
        ],
        batch_size=2000,
    )
    for theme in seed.themes:
        members = [case.pk for case, linked in zip(created, links, strict=True) if linked is theme]
        theme.size = len(members)
        theme.representative_case_ids = members[:3]
        theme.save(update_fields=["size", "representative_case_ids"])
    seed.case_count = len(created)
    daily_volumes_refresh()
    ThemeAlert.objects.create(
        theme=seed.themes[4],
        kind=ThemeAlert.Kind.SPIKING,
        detected_on=end,
        window_start=end - dt.timedelta(days=6),
        observed=200,
        expected=90.0,
        upper_bound=130.0,
    )
    _seed_workflow(seed)
    return seed


def _event(*, issue, fix, kind, from_status, to_status, at: dt.datetime) -> None:
    event = IssueEvent.objects.create(issue=issue, fix=fix, kind=kind, from_status=from_status, to_status=to_status)
    IssueEvent.objects.filter(pk=event.pk).update(created_at=at)


def _seed_workflow(seed: DashboardSeed) -> None:
    logistics = Department.objects.get(slug="logistics")
    others = list(Department.objects.exclude(pk=logistics.pk).order_by("name"))
    raised_at = _at(seed.end - dt.timedelta(days=60), 9)
    shipped_on = seed.end - dt.timedelta(days=SHIPPED_DAYS_AGO)
    issue = ImprovementIssue.objects.create(
        title="Doorstep deliveries go missing",
        problem_statement="Parcels are marked delivered but never arrive.",
        status=ImprovementIssue.Status.FIX_SHIPPED,
    )
    ImprovementIssue.objects.filter(pk=issue.pk).update(created_at=raised_at)
    issue.refresh_from_db()
    issue.themes.set([seed.themes[0]])
    seed.issue = issue
    shipped = FixTicket.objects.create(
        issue=issue,
        department=logistics,
        description="Photograph every doorstep delivery.",
        status=FixTicket.Status.WORKING,
        shipped_on=shipped_on,
        verdict_note="Contacts fell by about a half.",
    )
    _event(
        issue=issue,
        fix=shipped,
        kind=IssueEvent.Kind.FIX_STATUS,
        from_status="proposed",
        to_status="accepted",
        at=raised_at + dt.timedelta(days=4),
    )
    _event(
        issue=issue,
        fix=shipped,
        kind=IssueEvent.Kind.FIX_STATUS,
        from_status="in_progress",
        to_status="shipped",
        at=_at(shipped_on, 10),
    )
    seed.shipped_fix = shipped
    FixTicket.objects.create(
        issue=issue, department=logistics, description="Text the customer a photo.", status=FixTicket.Status.ACCEPTED
    )
    FixTicket.objects.create(
        issue=issue,
        department=others[0],
        description="Refund without asking.",
        status=FixTicket.Status.REJECTED,
        rejection_reason="Too costly.",
    )
    seed.proposed_fix = FixTicket.objects.create(
        issue=issue, department=logistics, description="Require a signature above 50 euros."
    )
    pre_days = 28
    post_days = SHIPPED_DAYS_AGO + 1
    pre_dates = [shipped_on - dt.timedelta(days=pre_days - offset) for offset in range(pre_days)]
    post_dates = [shipped_on + dt.timedelta(days=offset) for offset in range(post_days)]

    def observed(day: dt.date) -> int:
        return len(BRANDS) * len(CHANNELS) * theme_daily_count(theme_index=0, days_before_end=(seed.end - day).days)

    counterfactual = [float(observed(shipped_on - dt.timedelta(days=7))) for _ in post_dates]
    actual = [observed(day) for day in post_dates]
    FixImpact.objects.create(
        fix=shipped,
        computed_at=timezone.now(),
        ship_date=shipped_on,
        theme_ids=[seed.themes[0].pk],
        verdict=FixImpact.Verdict.WORKING,
        is_provisional=False,
        post_days_observed=post_days,
        pre_days_used=pre_days,
        relative_effect=-0.5,
        ci_low=-0.62,
        ci_high=-0.36,
        p_value=0.001,
        contacts_avoided=620.0,
        contacts_avoided_low=450.0,
        contacts_avoided_high=760.0,
        actual_total=sum(actual),
        counterfactual_total=sum(counterfactual),
        dates=[day.isoformat() for day in post_dates],
        actual=actual,
        counterfactual=counterfactual,
        low=[value * 0.75 for value in counterfactual],
        high=[value * 1.25 for value in counterfactual],
        pre_dates=[day.isoformat() for day in pre_dates],
        pre_actual=[observed(day) for day in pre_dates],
    )
