"""Filters of the issue and fix lists."""

from __future__ import annotations

import django_filters

from improvement.models import Department, FixTicket, ImprovementIssue, Theme


class IssueFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ImprovementIssue.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=ImprovementIssue.Priority.choices)
    theme = django_filters.ModelChoiceFilter(field_name="themes", queryset=Theme.objects.all())

    class Meta:
        model = ImprovementIssue
        fields = ["status", "priority", "theme"]


class FixFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=FixTicket.Status.choices)
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all())
    issue = django_filters.ModelChoiceFilter(queryset=ImprovementIssue.objects.all())

    class Meta:
        model = FixTicket
        fields = ["status", "department", "issue"]
