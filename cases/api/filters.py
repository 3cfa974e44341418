"""Filters of the case list."""

from __future__ import annotations

import django_filters

from cases.models import Case, Channel


class CaseFilter(django_filters.FilterSet):
    """Channel, brand and a received-at range. The theme filter belongs to the improvement app, which owns
    themes (cases never imports it): it subclasses this FilterSet and serves the case list with it."""

    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    brand = django_filters.CharFilter(field_name="brand", lookup_expr="iexact")
    received_after = django_filters.IsoDateTimeFilter(
        field_name="received_at",
        lookup_expr="gte",
        label="Received at or after (ISO 8601)",
    )
    received_before = django_filters.IsoDateTimeFilter(
        field_name="received_at",
        lookup_expr="lt",
        label="Received before (ISO 8601)",
    )

    class Meta:
        model = Case
        fields = ["channel", "brand", "received_after", "received_before"]
