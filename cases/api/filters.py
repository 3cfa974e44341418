"""Filters of the case list."""

from __future__ import annotations

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from cases.models import Case, Channel
from core.datetimes import OutOfRange, datetime_in_range


class InRangeIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time inside core.datetimes' accepted range, in UTC (any offset Python parses)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return datetime_in_range(parsed)
        except OutOfRange as error:
            raise forms.ValidationError(f"{value} {error}.", code="out_of_range") from None


class InRangeIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = InRangeIsoDateTimeField


class CaseFilter(django_filters.FilterSet):
    """Channel, brand and a received-at range. The theme filter belongs to the improvement app, which owns
    themes (cases never imports it): it subclasses this FilterSet and serves the case list with it."""

    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    brand = django_filters.CharFilter(field_name="brand", lookup_expr="iexact")
    received_after = InRangeIsoDateTimeFilter(
        field_name="received_at",
        lookup_expr="gte",
        label="Received at or after (ISO 8601)",
    )
    received_before = InRangeIsoDateTimeFilter(
        field_name="received_at",
        lookup_expr="lt",
        label="Received before (ISO 8601)",
    )

    class Meta:
        model = Case
        fields = ["channel", "brand", "received_after", "received_before"]
