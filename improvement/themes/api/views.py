"""Theme and clustering-run endpoints: every role reads; social team leads and staff admins curate and request runs.

`GET /api/themes/{id}/cases/` lists a theme's cases (the theme filter of cases lives here, on the improvement
side, because `cases` knows nothing of themes). Volumes and trend come from the daily counts
(improvement.volumes.selectors.theme_volumes), in the windows ending on `as_of` (default: the last counted day).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.datetimes import OutOfRange, date_in_range, datetime_in_range
from improvement.models import ClusteringRun, Theme
from improvement.permissions import CanCurateThemes, CanReadThemes
from improvement.themes.api.filters import ClusteringRunFilter, ThemeFilter
from improvement.themes.api.serializers import (
    ClusteringRunOutputSerializer,
    CurationJobOutputSerializer,
    ThemeCaseSerializer,
    ThemeDetailSerializer,
    ThemeMergeInputSerializer,
    ThemeMoveCasesInputSerializer,
    ThemeMoveToGroupInputSerializer,
    ThemeOutputSerializer,
    ThemeRenameInputSerializer,
    ThemeSeedInputSerializer,
    ThemeSnoozeInputSerializer,
    ThemeSplitInputSerializer,
    ThemeSplitSelectionInputSerializer,
)
from improvement.themes.selectors import (
    clustering_run_list,
    curation_job_list,
    theme_cases,
    theme_list,
    theme_strongly_negative_shares,
)
from improvement.themes.services.curation import (
    theme_label_accept,
    theme_merge,
    theme_move_cases,
    theme_rename,
)
from improvement.themes.services.curation_jobs import theme_split_kmeans_request, theme_split_selection_request
from improvement.themes.services.groups import theme_move_to_group
from improvement.themes.services.runs import clustering_run_cancel, clustering_run_request
from improvement.themes.services.seeded import theme_seed_many
from improvement.themes.services.snooze import theme_snooze, theme_unsnooze
from improvement.volumes.selectors import theme_volumes

AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    description=(
        "Last day of the volume windows (a date; a datetime counts as its day in TIME_ZONE); "
        "default: the last day with counted cases."
    ),
)


def _as_of(request: Request) -> dt.date | None:
    """The `as_of` query parameter as a day: a date, or a datetime's day in TIME_ZONE (None when absent)."""
    value = request.query_params.get("as_of")
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is not None:
            aware = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
            return timezone.localtime(datetime_in_range(aware)).date()
        day = parse_date(value)
    except OutOfRange as error:
        raise exceptions.ValidationError({"as_of": [f"{value} {error}."]}) from None
    except ValueError:
        day = None
    if day is None:
        raise exceptions.ValidationError({"as_of": [f"{value!r} is not a date or datetime (e.g. 2015-02-24)."]})
    try:
        return date_in_range(day)
    except OutOfRange as error:
        raise exceptions.ValidationError({"as_of": [f"{value} {error}."]}) from None


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF_PARAMETER]),
    retrieve=extend_schema(parameters=[AS_OF_PARAMETER]),
)
class ThemeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Themes, largest first; curation actions for social team leads and staff admins."""

    serializer_class = ThemeOutputSerializer
    filterset_class = ThemeFilter
    permission_classes = [IsAuthenticated, CanReadThemes]
    curation_actions = {
        "rename",
        "accept_label",
        "merge",
        "split",
        "move_cases",
        "group",
        "split_selection",
        "seed",
        "snooze",
        "unsnooze",
    }

    def get_queryset(self):
        if self.action == "list":
            # A snoozed theme leaves the default list; `?snoozed=true` lists the snoozed ones (ThemeFilter).
            snoozed = self.request.query_params.get("snoozed") == "true"
            return theme_list(snoozed=snoozed)
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
        theme_ids = [theme.pk for theme in themes]
        return {
            **self.get_serializer_context(),
            "volumes": theme_volumes(theme_ids=theme_ids, as_of=_as_of(self.request)),
            "strongly_negative_shares": theme_strongly_negative_shares(theme_ids=theme_ids),
        }

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        themes = list(page if page is not None else queryset)
        data = ThemeOutputSerializer(themes, many=True, context=self._context_with_volumes(themes)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        theme = self.get_object()
        return Response(ThemeDetailSerializer(theme, context=self._context_with_volumes([theme])).data)

    def _theme_response(self, theme: Theme, *, response_status: int = status.HTTP_200_OK) -> Response:
        return Response(
            ThemeOutputSerializer(theme, context=self._context_with_volumes([theme])).data,
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
        theme = theme_rename(
            theme=theme,
            label=serializer.validated_data["label"],
            by=request.user,
        )
        return self._theme_response(theme)

    @extend_schema(
        request=None,
        responses={
            200: ThemeOutputSerializer,
            409: OpenApiResponse(description="No suggested label, or the theme was merged."),
        },
    )
    @action(detail=True, methods=["post"], url_path="accept-label", filterset_class=None)
    def accept_label(self, request, pk=None):
        """Take the label the last refit suggested (`suggested_label`) as the theme's label."""
        theme = theme_label_accept(theme=self.get_object(), by=request.user)
        return self._theme_response(theme)

    @extend_schema(
        request=ThemeMergeInputSerializer,
        responses={
            200: ThemeOutputSerializer,
            400: OpenApiResponse(description="Unknown or same theme."),
            409: OpenApiResponse(description="Merged theme, or a survivor that is not active."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def merge(self, request, pk=None):
        """Merge this theme into `into`; returns the survivor."""
        theme = self.get_object()
        serializer = ThemeMergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        survivor = theme_merge(
            theme=theme,
            into=serializer.validated_data["into"],
            by=request.user,
        )
        return self._theme_response(survivor)

    @extend_schema(
        request=ThemeSplitInputSerializer,
        responses={
            202: CurationJobOutputSerializer,
            400: OpenApiResponse(description="Bad `parts`, or too few embedded cases to split."),
            409: OpenApiResponse(description="The theme is not active."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def split(self, request, pk=None):
        """Re-cluster this theme's cases into `parts` themes (default 2), in the background; follow the job it answers
        (`GET /api/curation-jobs/{id}/`) until `result_theme_ids` names the parts, the original (largest) first."""
        theme = self.get_object()
        serializer = ThemeSplitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = theme_split_kmeans_request(theme=theme, parts=serializer.validated_data["parts"], by=request.user)
        job.refresh_from_db()
        return Response(CurationJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)

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
        theme = theme_move_cases(
            case_ids=serializer.validated_data["case_ids"],
            to=serializer.validated_data["to"],
            by=request.user,
            from_theme=theme,
        )
        return self._theme_response(theme)

    @extend_schema(
        request=ThemeMoveToGroupInputSerializer,
        responses={
            200: ThemeOutputSerializer,
            400: OpenApiResponse(description="Unknown group, or the theme is not active."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def group(self, request, pk=None):
        """Move the theme into theme group `group`, or out of any group with null."""
        theme = self.get_object()
        serializer = ThemeMoveToGroupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        theme = theme_move_to_group(theme=theme, group=serializer.validated_data["group"], by=request.user)
        return self._theme_response(theme)

    @extend_schema(
        request=ThemeSplitSelectionInputSerializer,
        responses={
            202: CurationJobOutputSerializer,
            400: OpenApiResponse(description="Empty, too large, unknown, or not all in this theme (`case_ids`)."),
            409: OpenApiResponse(description="The theme is not active."),
        },
    )
    @action(detail=True, methods=["post"], url_path="split-selection", filterset_class=None)
    def split_selection(self, request, pk=None):
        """Split these cases of the theme out as one new theme, in the background; follow the job it answers
        (`GET /api/curation-jobs/{id}/`) until `result_theme_ids` names the new theme."""
        theme = self.get_object()
        serializer = ThemeSplitSelectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = theme_split_selection_request(
            case_ids=serializer.validated_data["case_ids"],
            label=serializer.validated_data["label"],
            from_theme=theme,
            by=request.user,
        )
        job.refresh_from_db()
        return Response(CurationJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=ThemeSeedInputSerializer,
        responses={
            201: ThemeOutputSerializer(many=True),
            400: OpenApiResponse(description="Empty, too long or duplicate names (also of existing themes), too many."),
        },
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def seed(self, request):
        """Create themes from a taxonomy: each a name, optional description and example phrases.

        A refit first gives each case to its nearest seeded theme above the seed threshold, then clusters the
        rest; a seeded theme keeps its name and identity across refits and is never merged by one.
        """
        serializer = ThemeSeedInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        themes = theme_seed_many(themes=serializer.validated_data["themes"], by=request.user)
        data = ThemeOutputSerializer(themes, many=True, context=self._context_with_volumes(themes)).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ThemeSnoozeInputSerializer,
        responses={
            200: ThemeOutputSerializer,
            400: OpenApiResponse(description='`until` is neither "escalation" nor a later date.'),
            409: OpenApiResponse(description="The theme is not active."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def snooze(self, request, pk=None):
        """Snooze the theme until it escalates (its daily volume clearly above its level now) or until a date."""
        theme = self.get_object()
        serializer = ThemeSnoozeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        theme = theme_snooze(theme=theme, until=serializer.validated_data["until"], by=request.user)
        return self._theme_response(theme)

    @extend_schema(
        request=None,
        responses={200: ThemeOutputSerializer, 409: OpenApiResponse(description="The theme is not snoozed.")},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def unsnooze(self, request, pk=None):
        """Bring a snoozed theme back to the default list."""
        theme = theme_unsnooze(theme=self.get_object(), by=request.user)
        return self._theme_response(theme)

    @extend_schema(responses={200: ThemeCaseSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None)
    def cases(self, request, pk=None):
        """The theme's cases, newest first (the theme filter for cases)."""
        theme = self.get_object()
        queryset = theme_cases(theme=theme)
        page = self.paginate_queryset(queryset)
        data = ThemeCaseSerializer(page if page is not None else queryset, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class ClusteringRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Clustering runs, newest first; POST requests a new run (executed by a worker), POST {id}/cancel/ ends one."""

    serializer_class = ClusteringRunOutputSerializer
    filterset_class = ClusteringRunFilter
    permission_classes = [IsAuthenticated, CanReadThemes]

    def get_queryset(self):
        return clustering_run_list()

    def get_permissions(self):
        if self.action in {"create", "cancel"}:
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
        run = clustering_run_request(
            trigger=ClusteringRun.Trigger.API,
            requested_by=request.user,
        )
        run.refresh_from_db()
        return Response(ClusteringRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={
            200: ClusteringRunOutputSerializer,
            403: OpenApiResponse(description="Only social team leads and staff admins cancel runs."),
            404: OpenApiResponse(description="No such run."),
            409: OpenApiResponse(description="The run already ended (succeeded, failed or cancelled)."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        """Cancel a pending or running run (e.g. one stuck on a lost worker); it ends `cancelled`, with who did it.

        A worker still fitting it does not swap its result in; a new run can be requested at once.
        """
        run = clustering_run_cancel(run=self.get_object(), by=request.user)
        return Response(ClusteringRunOutputSerializer(run).data)


class CurationJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Curation jobs (splits run in the background), newest first: status, steps and the themes they made."""

    serializer_class = CurationJobOutputSerializer
    permission_classes = [IsAuthenticated, CanReadThemes]

    def get_queryset(self):
        return curation_job_list()
