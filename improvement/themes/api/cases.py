"""The case list with themes: `GET /api/cases/` served on the improvement side, which owns themes.

It extends cases' own viewset (bulk ingest, read) with text search, a theme and an "unassigned" filter, and each
case's theme and similarity to the theme's centre; `cases` itself knows nothing of themes.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.filters import CaseFilter
from cases.api.serializers import CaseOutputSerializer
from cases.api.views import CaseViewSet
from cases.selectors import SEARCH_MAX_LENGTH, case_search
from improvement.models import Theme
from improvement.themes.selectors import case_browse_list, cases_in_theme, cases_unassigned


@extend_schema_field(OpenApiTypes.INT)
class ThemeIdFilter(django_filters.ModelChoiceFilter):
    """A theme by its id (the schema says integer; django-filter alone says string)."""


class CaseBrowseFilter(CaseFilter):
    """Channel, brand, received range, plus text search, one theme, and unassigned (shared by the cases page)."""

    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        label="Search",
        help_text=(
            "Words to find in the case's text. PostgreSQL: English full text search (stemmed; quotes, `or`, "
            "`-word`). SQLite: every word must appear (case-insensitive)."
        ),
    )
    theme = ThemeIdFilter(
        queryset=Theme.objects.defer("centroid"),
        method="filter_theme",
        help_text="Only the cases now in this theme.",
    )
    unassigned = django_filters.ChoiceFilter(
        choices=[("true", "Unassigned only"), ("false", "In a theme")],
        method="filter_unassigned",
        empty_label="Any",
        help_text="true: only cases in no theme; false: only cases in one.",
    )

    class Meta(CaseFilter.Meta):
        fields = [*CaseFilter.Meta.fields, "search", "theme", "unassigned"]

    def filter_search(self, queryset, name, value):
        return case_search(cases=queryset, query=value)

    def filter_theme(self, queryset, name, value):
        return cases_in_theme(cases=queryset, theme=value) if value is not None else queryset

    def filter_unassigned(self, queryset, name, value):
        return cases_unassigned(cases=queryset, unassigned=value == "true") if value else queryset


class CaseBrowseSerializer(CaseOutputSerializer):
    theme = serializers.IntegerField(source="theme_id", read_only=True, allow_null=True)
    theme_label = serializers.CharField(read_only=True, allow_null=True)
    theme_similarity = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Cosine similarity to the theme's centre when assigned by a run or a split; null when moved by hand.",
    )

    class Meta(CaseOutputSerializer.Meta):
        fields = [*CaseOutputSerializer.Meta.fields, "theme", "theme_label", "theme_similarity"]
        read_only_fields = fields


class CaseBrowseViewSet(CaseViewSet):
    """Cases, newest first (cursor pages). Search their text and filter by theme, unassigned, channel, brand and
    received_after / received_before; each case names its theme and its similarity to the theme's centre."""

    serializer_class = CaseBrowseSerializer
    filterset_class = CaseBrowseFilter

    def get_queryset(self):
        return case_browse_list(cases=super().get_queryset())
