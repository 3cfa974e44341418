"""Output shape of a fix's stored impact estimate (GET /api/fixes/{id}/impact/)."""
from __future__ import annotations

from rest_framework import serializers

from improvement.models import FixImpact


class FixImpactOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = FixImpact
        fields = [
            "fix", "computed_at", "ship_date", "theme_ids", "verdict", "is_provisional", "post_days_observed",
            "pre_days_used", "relative_effect", "ci_low", "ci_high", "p_value", "contacts_avoided",
            "contacts_avoided_low", "contacts_avoided_high", "actual_total", "counterfactual_total", "dates", "actual",
            "counterfactual", "low", "high", "pre_dates", "pre_actual", "recent_checked_at", "recent_start",
            "recent_end", "recent_relative_effect", "recent_ci_low", "recent_ci_high",
        ]
