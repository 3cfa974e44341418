"""Filters of the theme and clustering-run lists."""

from __future__ import annotations

import django_filters

from cases.models import Channel
from improvement.models import ClusteringRun, Theme, ThemeGroup
from improvement.themes.selectors import theme_list


class ThemeFilter(django_filters.FilterSet):
    brand = django_filters.CharFilter(method="filter_cases", help_text="Themes holding cases of this brand.")
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices,
        method="filter_cases",
        help_text="Themes holding cases from this channel.",
    )
    status = django_filters.MultipleChoiceFilter(choices=Theme.Status.choices)
    group = django_filters.ModelChoiceFilter(
        queryset=ThemeGroup.objects.all(), help_text="Themes in this theme group (its id)."
    )
    # Applied in the view's queryset (absent means not snoozed); declared here so a bad value is a 400.
    snoozed = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_snoozed",
        help_text="true: only snoozed themes; false (the default): themes not snoozed.",
    )

    class Meta:
        model = Theme
        fields = ["brand", "channel", "status", "group", "snoozed"]

    def filter_snoozed(self, queryset, name, value):
        return queryset

    def filter_cases(self, queryset, name, value):
        # Brand and channel together mean cases of that brand on that channel, so both go in one subquery.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        brand = self.form.cleaned_data.get("brand") or None
        channel = self.form.cleaned_data.get("channel") or None
        if brand or channel:
            queryset = queryset.filter(pk__in=theme_list(brand=brand, channel=channel).values("pk"))
        return queryset


class ClusteringRunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ClusteringRun.Status.choices)

    class Meta:
        model = ClusteringRun
        fields = ["status"]
