"""Factories and helpers for the issue workflow tests (themes with cases, issues, fixes in any status)."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from cases.models import Case
from improvement.models import CaseTheme, FixTicket, ImprovementIssue, IssueEvent, Theme
from improvement.volumes.services import daily_volumes_refresh_for_cases

WINDOW_END = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    label = factory.Sequence(lambda number: f"Theme {number}")
    status = Theme.Status.ACTIVE
    size = 10


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    channel = "twitter"
    external_id = factory.Sequence(lambda number: f"tweet-{number}")
    brand = "acme"
    text = factory.Sequence(lambda number: f"my parcel {number} never arrived")
    received_at = factory.LazyFunction(timezone.now)


def cases_for_theme(*, theme: Theme | None, received: list[datetime.datetime]) -> list[Case]:
    """Create one case per timestamp, linked to the theme (or unassigned when theme is None), and count them
    in the daily tables as the production flows do."""
    cases = []
    for received_at in received:
        case = CaseFactory(received_at=received_at)
        if theme is not None:
            CaseTheme.objects.create(case=case, theme=theme, source=CaseTheme.Source.FIT)
        cases.append(case)
    daily_volumes_refresh_for_cases(case_ids=[case.pk for case in cases])
    return cases


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImprovementIssue
        skip_postgeneration_save = True

    title = factory.Sequence(lambda number: f"Issue {number}")
    problem_statement = "Parcels are reported delivered but never arrive."
    raised_by = None

    @factory.post_generation
    def themes(issue, create, extracted, **kwargs):
        if create:
            issue.themes.set(extracted or [ThemeFactory()])


class FixFactory(factory.django.DjangoModelFactory):
    """A fix set directly into a status (with the fields that status needs), bypassing the services."""

    class Meta:
        model = FixTicket

    issue = factory.SubFactory(IssueFactory)
    description = "Photograph every doorstep delivery."
    status = FixTicket.Status.PROPOSED
    rejection_reason = factory.LazyAttribute(lambda fix: "out of scope" if fix.status == "rejected" else "")
    shipped_on = factory.LazyAttribute(
        lambda fix: (
            None if fix.status in ("proposed", "accepted", "rejected", "in_progress") else datetime.date(2026, 2, 1)
        )
    )


def event_rows(issue: ImprovementIssue) -> list[tuple]:
    """The issue's audit trail as (kind, fix id, actor username, from, to, note) tuples, oldest first."""
    return [
        (
            event.kind,
            event.fix_id,
            event.actor.username if event.actor else None,
            event.from_status,
            event.to_status,
            event.note,
        )
        for event in IssueEvent.objects.filter(issue=issue).select_related("actor").order_by("created_at", "id")
    ]
