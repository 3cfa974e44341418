"""`GET /api/fixes/{id}/impact/`: a fix's impact estimate. It only reads: evaluating and storing is the daily job's.

The stored estimate is returned when there is one; before the first evaluation the estimate is computed from
the daily counts and returned without being stored. 404 for a fix the user may not see, 409 when it cannot be
measured (not shipped, too few days counted).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from improvement.impact.selectors import fix_impact_read
from improvement.models import FixImpact
from improvement.workflow.selectors import fix_list_visible


class FixImpactOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = FixImpact
        fields = [
            "fix", "computed_at", "ship_date", "theme_ids", "verdict", "is_provisional", "post_days_observed",
            "pre_days_used", "relative_effect", "ci_low", "ci_high", "p_value", "interval_tail",
            "interval_worse_tail", "interval_level", "placebo_runs",
            "placebo_found", "verdict_reason", "contacts_avoided",
            "contacts_avoided_low", "contacts_avoided_high", "actual_total", "counterfactual_total", "dates", "actual",
            "counterfactual", "low", "high", "pre_dates", "pre_actual", "recent_checked_at", "recent_start",
            "recent_end", "recent_relative_effect", "recent_ci_low", "recent_ci_high",
        ]  # fmt: skip


class FixImpactApi(APIView):
    """The fix's impact estimate: stored, or computed now without storing it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="fixes_impact_retrieve",
        responses={
            200: FixImpactOutputSerializer,
            404: OpenApiResponse(description="No such fix, or one the user may not see."),
            409: OpenApiResponse(description="The fix is not shipped, or too few days are counted to measure it."),
        },
    )
    def get(self, request: Request, fix_id: int) -> Response:
        fix = get_object_or_404(fix_list_visible(user=request.user), pk=fix_id)
        return Response(FixImpactOutputSerializer(fix_impact_read(fix=fix)).data)
