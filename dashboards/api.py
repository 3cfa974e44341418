"""`GET /api/dashboard/executive/`: the executive dashboard's aggregates as JSON (same filters as the page)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from dashboards.selectors.executive import executive_dashboard
from dashboards.views import dashboard_filters_from_query, fixes_page_from_query
from improvement.permissions import CanSeeExecutiveDashboard


class ExecutiveDashboardViewSet(viewsets.ViewSet):
    """Volumes, top and growing themes, theme share, fixes on their themes, impacts, contacts avoided, scorecard."""

    permission_classes = [IsAuthenticated, CanSeeExecutiveDashboard]

    @extend_schema(
        operation_id="dashboard_executive",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 180 days before end)"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (default: the last counted day)"),
            OpenApiParameter("brand", OpenApiTypes.STR, description="Only this brand"),
            OpenApiParameter("channel", OpenApiTypes.STR, description="Only this channel"),
            OpenApiParameter("fixes_page", OpenApiTypes.INT, description="Page of measured fixes (default 1)"),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The dashboard's aggregates"),
            400: OpenApiResponse(description="A filter is invalid"),
        },
    )
    def list(self, request: Request) -> Response:
        _, filters, problems = dashboard_filters_from_query(request.query_params)
        if filters is None:
            raise exceptions.ValidationError({"filters": problems})
        fixes_page, page_problem = fixes_page_from_query(request.query_params)
        if page_problem:
            raise exceptions.ValidationError({"fixes_page": [page_problem]})
        return Response(executive_dashboard(filters=filters, user=request.user, fixes_page=fixes_page))
