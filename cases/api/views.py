"""Case endpoints: list and read for any signed-in user, bulk ingest for those who may add cases."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from cases.api.filters import CaseFilter
from cases.api.permissions import CanIngestCases, CanReadCases
from cases.api.serializers import (
    BULK_MAX_CASES,
    CaseBulkInputSerializer,
    CaseBulkResultSerializer,
    CaseOutputSerializer,
)
from cases.selectors import case_list_visible
from cases.services.ingest import case_ingest_many
from core.json_limits import RequestBodyTooLarge


class CaseCursorPagination(CursorPagination):
    ordering = ("-received_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases, newest first. Filter by channel, brand and received_after / received_before."""

    serializer_class = CaseOutputSerializer
    filterset_class = CaseFilter
    pagination_class = CaseCursorPagination
    permission_classes = [IsAuthenticated, CanReadCases]

    def get_queryset(self):
        return case_list_visible(user=self.request.user)

    def get_permissions(self):
        if self.action == "bulk":
            return [IsAuthenticated(), CanIngestCases()]
        return super().get_permissions()

    @extend_schema(
        request=CaseBulkInputSerializer,
        responses={
            200: CaseBulkResultSerializer,
            400: OpenApiResponse(description="The body is not an object with a `cases` list."),
            413: OpenApiResponse(
                description=(
                    f"The body is over DATA_UPLOAD_MAX_MEMORY_SIZE or holds more than {BULK_MAX_CASES:,} cases."
                ),
            ),
        },
    )
    @action(detail=False, methods=["post"], url_path="bulk", filterset_class=None, pagination_class=None)
    def bulk(self, request):
        """Ingest up to 5,000 cases; a duplicate (channel, external_id) is counted and never stored twice."""
        try:
            # DRF reads the stream directly, which skips Django's size check; reading `body` applies it.
            request.body  # noqa: B018
        except RequestDataTooBig:
            raise RequestBodyTooLarge(
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes; "
                f"send at most {BULK_MAX_CASES:,} cases per request.",
            ) from None
        items = request.data.get("cases") if isinstance(request.data, dict) else None
        if isinstance(items, list) and len(items) > BULK_MAX_CASES:
            raise RequestBodyTooLarge(
                f"Too many cases: {len(items):,} in one request; the limit is {BULK_MAX_CASES:,}. "
                "Split them into several requests.",
            )
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"cases": ['Send an object with a `cases` list, e.g. {"cases": [...]}.']})
        serializer = CaseBulkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = case_ingest_many(rows=serializer.validated_data["cases"])
        payload = {
            "created": result.created,
            "duplicates": result.duplicates,
            "rejected": result.rejected_count,
            "rejected_rows": [{"index": row.index, "reason": row.reason} for row in result.rejected],
        }
        return Response(CaseBulkResultSerializer(payload).data, status=status.HTTP_200_OK)
