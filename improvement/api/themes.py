"""Theme and clustering-run endpoints: every role reads; social team leads and staff admins curate and request runs.

`GET /api/themes/{id}/cases/` lists a theme's cases (the theme filter of cases lives here, on the improvement
side, because `cases` knows nothing of themes). Volumes count cases by `received_at` in the 7 and 28 days ending
at `as_of` (default now); `trend` is (last 7 days - the 7 before) / the 7 before, null when the 7 before had none.
"""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from cases.models import Case, Channel
from improvement.models import ClusteringRun, Theme
from improvement.selectors.themes import (
    clustering_run_list,
    theme_cases,
    theme_list,
    theme_representative_cases,
    theme_volumes,
    user_can_curate_themes,
    user_can_read_themes,
)
from improvement.services.themes import (
    ThemeStateError,
    clustering_run_request,
    theme_merge,
    theme_move_cases,
    theme_rename,
    theme_split,
)

# --- permissions -------------------------------------------------------------------------------------------------


class CanReadThemes(BasePermission):
    message = "Reading themes needs a Fixloop role (team lead, department owner, executive) or staff admin."

    def has_permission(self, request, view) -> bool:
        return user_can_read_themes(request.user)


class CanCurateThemes(BasePermission):
    message = "Only social team leads and staff admins may curate themes or request clustering runs."

    def has_permission(self, request, view) -> bool:
        return user_can_curate_themes(request.user)


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The theme's current state does not allow this."
    default_code = "conflict"


def _call_service(service: Callable, **arguments):
    """Run a service, translating its errors: ValidationError → 400, ThemeStateError → 409, PermissionDenied → 403."""
    try:
        return service(**arguments)
    except DjangoValidationError as error:
        detail = error.message_dict if hasattr(error, "error_dict") else error.messages
        raise exceptions.ValidationError(detail) from error
    except ThemeStateError as error:
        raise ConflictError(str(error)) from error
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(str(error)) from error


# --- serializers ---------------------------------------------------------------------------------------------------


class ThemeOutputSerializer(serializers.ModelSerializer):
    volume_last_7_days = serializers.SerializerMethodField()
    volume_last_28_days = serializers.SerializerMethodField()
    trend = serializers.SerializerMethodField()

    class Meta:
        model = Theme
        fields = [
            "id",
            "label",
            "is_label_custom",
            "model_label",
            "keywords",
            "size",
            "status",
            "merged_into",
            "volume_last_7_days",
            "volume_last_28_days",
            "trend",
            "updated_at",
        ]
        read_only_fields = fields

    def _volume(self, theme: Theme):
        return self.context["volumes"][theme.pk]

    def get_volume_last_7_days(self, theme: Theme) -> int:
        return self._volume(theme).last_7_days

    def get_volume_last_28_days(self, theme: Theme) -> int:
        return self._volume(theme).last_28_days

    def get_trend(self, theme: Theme) -> float | None:
        return self._volume(theme).trend


class ThemeCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["id", "text", "received_at", "brand", "channel"]
        read_only_fields = fields


class ThemeDetailSerializer(ThemeOutputSerializer):
    representative_cases = serializers.SerializerMethodField()

    class Meta(ThemeOutputSerializer.Meta):
        fields = [
            *ThemeOutputSerializer.Meta.fields,
            "first_run",
            "last_seen_run",
            "created_at",
            "representative_cases",
        ]
        read_only_fields = fields

    @extend_schema_field(ThemeCaseSerializer(many=True))
    def get_representative_cases(self, theme: Theme) -> list[dict]:
        return ThemeCaseSerializer(
            theme_representative_cases(theme=theme), many=True
        ).data


class ThemeRenameInputSerializer(serializers.Serializer):
    label = serializers.CharField(
        max_length=200, allow_blank=False, trim_whitespace=True
    )


class ThemeMergeInputSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all())


class ThemeSplitInputSerializer(serializers.Serializer):
    parts = serializers.IntegerField(min_value=2, max_value=10, default=2)


class ThemeMoveCasesInputSerializer(serializers.Serializer):
    case_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000
    )
    to = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all())


class ClusteringRunOutputSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ClusteringRun
        fields = [
            "id",
            "status",
            "trigger",
            "requested_by",
            "parameters",
            "model_versions",
            "case_count",
            "theme_count",
            "new_theme_count",
            "matched_theme_count",
            "dormant_theme_count",
            "outlier_share",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "error",
        ]
        read_only_fields = fields


# --- filters -------------------------------------------------------------------------------------------------------


class ThemeFilter(django_filters.FilterSet):
    brand = django_filters.CharFilter(
        method="filter_cases", help_text="Themes holding cases of this brand."
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices,
        method="filter_cases",
        help_text="Themes holding cases from this channel.",
    )
    status = django_filters.MultipleChoiceFilter(choices=Theme.Status.choices)

    class Meta:
        model = Theme
        fields = ["brand", "channel", "status"]

    def filter_cases(self, queryset, name, value):
        # Brand and channel together mean cases of that brand on that channel, so both go in one subquery.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        brand = self.form.cleaned_data.get("brand") or None
        channel = self.form.cleaned_data.get("channel") or None
        if brand or channel:
            queryset = queryset.filter(
                pk__in=theme_list(brand=brand, channel=channel).values("pk")
            )
        return queryset


class ClusteringRunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ClusteringRun.Status.choices)

    class Meta:
        model = ClusteringRun
        fields = ["status"]


# --- views ---------------------------------------------------------------------------------------------------------

AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    description="End of the volume windows (date or datetime); default now.",
)


def _as_of(request):
    value = request.query_params.get("as_of")
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise exceptions.ValidationError(
                {"as_of": [f"{value!r} is not a date or datetime (e.g. 2015-02-24)."]}
            )
        parsed = timezone.datetime.combine(day, timezone.datetime.max.time())
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF_PARAMETER]),
    retrieve=extend_schema(parameters=[AS_OF_PARAMETER]),
)
class ThemeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Themes, largest first; curation actions for social team leads and staff admins."""

    serializer_class = ThemeOutputSerializer
    filterset_class = ThemeFilter
    permission_classes = [IsAuthenticated, CanReadThemes]
    curation_actions = {"rename", "merge", "split", "move_cases"}

    def get_queryset(self):
        return theme_list()

    def get_permissions(self):
        if self.action in self.curation_actions:
            return [IsAuthenticated(), CanCurateThemes()]
        return super().get_permissions()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ThemeDetailSerializer
        return super().get_serializer_class()

    def _context_with_volumes(self, themes) -> dict:
        return {
            **self.get_serializer_context(),
            "volumes": theme_volumes(
                theme_ids=[theme.pk for theme in themes], as_of=_as_of(self.request)
            ),
        }

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        themes = list(page if page is not None else queryset)
        data = ThemeOutputSerializer(
            themes, many=True, context=self._context_with_volumes(themes)
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        theme = self.get_object()
        return Response(
            ThemeDetailSerializer(
                theme, context=self._context_with_volumes([theme])
            ).data
        )

    def _theme_response(
        self, theme: Theme, *, response_status: int = status.HTTP_200_OK
    ) -> Response:
        return Response(
            ThemeOutputSerializer(
                theme, context=self._context_with_volumes([theme])
            ).data,
            status=response_status,
        )

    @extend_schema(
        request=ThemeRenameInputSerializer,
        responses={
            200: ThemeOutputSerializer,
            400: OpenApiResponse(description="Empty or too long label."),
            409: OpenApiResponse(description="The theme was merged."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def rename(self, request, pk=None):
        """Give the theme a custom label, kept across refits."""
        theme = self.get_object()
        serializer = ThemeRenameInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        theme = _call_service(
            theme_rename,
            theme=theme,
            label=serializer.validated_data["label"],
            by=request.user,
        )
        return self._theme_response(theme)

    @extend_schema(
        request=ThemeMergeInputSerializer,
        responses={
            200: ThemeOutputSerializer,
            400: OpenApiResponse(description="Unknown or same theme."),
            409: OpenApiResponse(
                description="Merged theme, or a survivor that is not active."
            ),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def merge(self, request, pk=None):
        """Merge this theme into `into`; returns the survivor."""
        theme = self.get_object()
        serializer = ThemeMergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        survivor = _call_service(
            theme_merge,
            theme=theme,
            into=serializer.validated_data["into"],
            by=request.user,
        )
        return self._theme_response(survivor)

    @extend_schema(
        request=ThemeSplitInputSerializer,
        responses={
            201: ThemeOutputSerializer(many=True),
            400: OpenApiResponse(description="Bad `parts`, or too few cases to split."),
            409: OpenApiResponse(description="The theme is not active."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def split(self, request, pk=None):
        """Re-cluster this theme's cases into `parts` themes (default 2); the original keeps the largest part."""
        theme = self.get_object()
        serializer = ThemeSplitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        themes = _call_service(
            theme_split,
            theme=theme,
            parts=serializer.validated_data["parts"],
            by=request.user,
        )
        data = ThemeOutputSerializer(
            themes, many=True, context=self._context_with_volumes(themes)
        ).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ThemeMoveCasesInputSerializer,
        responses={
            200: ThemeOutputSerializer,
            400: OpenApiResponse(description="Unknown case or theme ids."),
            409: OpenApiResponse(description="The target theme is not active."),
        },
    )
    @action(detail=True, methods=["post"], url_path="move-cases", filterset_class=None)
    def move_cases(self, request, pk=None):
        """Move some of this theme's cases into theme `to`; refits keep such manual moves. Returns `to`."""
        theme = self.get_object()
        serializer = ThemeMoveCasesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        theme = _call_service(
            theme_move_cases,
            case_ids=serializer.validated_data["case_ids"],
            to=serializer.validated_data["to"],
            by=request.user,
            from_theme=theme,
        )
        return self._theme_response(theme)

    @extend_schema(responses={200: ThemeCaseSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None)
    def cases(self, request, pk=None):
        """The theme's cases, newest first (the theme filter for cases)."""
        theme = self.get_object()
        queryset = theme_cases(theme=theme)
        page = self.paginate_queryset(queryset)
        data = ThemeCaseSerializer(
            page if page is not None else queryset, many=True
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class ClusteringRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Clustering runs, newest first; POST requests a new run (executed by a worker)."""

    serializer_class = ClusteringRunOutputSerializer
    filterset_class = ClusteringRunFilter
    permission_classes = [IsAuthenticated, CanReadThemes]

    def get_queryset(self):
        return clustering_run_list()

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), CanCurateThemes()]
        return super().get_permissions()

    @extend_schema(
        request=None,
        responses={
            202: ClusteringRunOutputSerializer,
            409: OpenApiResponse(description="A run is already pending or running."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Request a clustering run now; it runs in the background and swaps its themes in when done."""
        run = _call_service(
            clustering_run_request,
            trigger=ClusteringRun.Trigger.API,
            requested_by=request.user,
        )
        run.refresh_from_db()
        return Response(
            ClusteringRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )
