"""Input and output shapes of the theme and clustering-run endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Case
from improvement.models import ClusteringRun, CurationJob, Theme, ThemeGroup
from improvement.models.themes import LABEL_MAX_LENGTH, SEED_DESCRIPTION_MAX_LENGTH
from improvement.themes.selectors import theme_representative_cases
from improvement.themes.services.curation import (
    MOVE_MAXIMUM_CASES,
    SPLIT_MAXIMUM_PARTS,
    SPLIT_MINIMUM_PARTS,
)
from improvement.themes.services.curation_jobs import SELECTION_MAXIMUM_CASES
from improvement.themes.services.seeded import SEED_EXAMPLE_MAX_LENGTH, SEED_MAXIMUM_EXAMPLES, SEED_MAXIMUM_THEMES
from improvement.workflow.selectors import theme_open_issue_workarounds


class ThemeOutputSerializer(serializers.ModelSerializer):
    is_escalating = serializers.BooleanField(read_only=True)
    # "" while not snoozed, so the enum the schema states holds the blank too.
    snooze_kind = serializers.ChoiceField(choices=[("", "Not snoozed"), *Theme.SnoozeKind.choices], read_only=True)
    seed_examples = serializers.ListField(child=serializers.CharField(), read_only=True)
    volume_last_7_days = serializers.SerializerMethodField()
    volume_last_28_days = serializers.SerializerMethodField()
    trend = serializers.SerializerMethodField()
    # Severity beside volume: the share of the theme's cases VADER scores strongly negative (cases.sentiment).
    strongly_negative_share = serializers.SerializerMethodField()

    class Meta:
        model = Theme
        fields = [
            "id",
            "label",
            "is_label_custom",
            "model_label",
            "suggested_label",
            "keywords",
            "size",
            "status",
            "merged_into",
            "group",
            "is_seeded",
            "description",
            "seed_examples",
            "snooze_kind",
            "snoozed_until",
            "snoozed_at",
            "snooze_baseline",
            "is_escalating",
            "escalated_at",
            "volume_last_7_days",
            "volume_last_28_days",
            "trend",
            "strongly_negative_share",
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

    def get_strongly_negative_share(self, theme: Theme) -> float | None:
        return self.context["strongly_negative_shares"][theme.pk]


class ThemeCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["id", "text", "received_at", "brand", "channel"]
        read_only_fields = fields


class ThemeWorkaroundSerializer(serializers.Serializer):
    issue = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    workaround = serializers.CharField()


class ThemeDetailSerializer(ThemeOutputSerializer):
    representative_cases = serializers.SerializerMethodField()
    # The known-error workarounds of the theme's issues that are not closed (improvement.workflow.selectors).
    workarounds = serializers.SerializerMethodField()

    class Meta(ThemeOutputSerializer.Meta):
        fields = [
            *ThemeOutputSerializer.Meta.fields,
            "first_run",
            "last_seen_run",
            "created_at",
            "representative_cases",
            "workarounds",
        ]
        read_only_fields = fields

    @extend_schema_field(ThemeCaseSerializer(many=True))
    def get_representative_cases(self, theme: Theme) -> list[dict]:
        return ThemeCaseSerializer(theme_representative_cases(theme=theme), many=True).data

    @extend_schema_field(ThemeWorkaroundSerializer(many=True))
    def get_workarounds(self, theme: Theme) -> list[dict]:
        return theme_open_issue_workarounds(theme_id=theme.pk, user=self.context["request"].user)


class ThemeRenameInputSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=LABEL_MAX_LENGTH, allow_blank=False, trim_whitespace=True)


class ThemeMergeInputSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all())


class ThemeSplitInputSerializer(serializers.Serializer):
    parts = serializers.IntegerField(min_value=SPLIT_MINIMUM_PARTS, max_value=SPLIT_MAXIMUM_PARTS, default=2)


class ThemeMoveCasesInputSerializer(serializers.Serializer):
    case_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=MOVE_MAXIMUM_CASES
    )
    to = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all())


class ThemeMoveToGroupInputSerializer(serializers.Serializer):
    # null takes the theme out of any group.
    group = serializers.PrimaryKeyRelatedField(queryset=ThemeGroup.objects.all(), allow_null=True)


class ThemeSplitSelectionInputSerializer(serializers.Serializer):
    case_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=SELECTION_MAXIMUM_CASES,
        help_text=f"The selected cases, all now in this theme; at most {SELECTION_MAXIMUM_CASES:,}.",
    )
    label = serializers.CharField(
        max_length=LABEL_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The new theme's label (kept across refits); blank: labelled by the model from its cases.",
    )


class CurationJobOutputSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CurationJob
        fields = [
            "id",
            "kind",
            "status",
            "requested_by",
            "theme",
            "case_ids",
            "parameters",
            "result_theme_ids",
            "steps_done",
            "steps_total",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ThemeSeedEntrySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=LABEL_MAX_LENGTH, trim_whitespace=True)
    description = serializers.CharField(
        max_length=SEED_DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    examples = serializers.ListField(
        child=serializers.CharField(max_length=SEED_EXAMPLE_MAX_LENGTH, allow_blank=True),
        max_length=SEED_MAXIMUM_EXAMPLES,
        required=False,
        default=list,
    )


class ThemeSeedInputSerializer(serializers.Serializer):
    themes = serializers.ListField(
        child=ThemeSeedEntrySerializer(), min_length=1, max_length=SEED_MAXIMUM_THEMES, allow_empty=False
    )


class ThemeSnoozeInputSerializer(serializers.Serializer):
    until = serializers.CharField(
        max_length=20, help_text='"escalation" (until its daily volume escalates) or a later date, e.g. 2027-01-31.'
    )


class ClusteringRunOutputSerializer(serializers.ModelSerializer):
    # Null for the nightly runs, which nobody requested, and for runs nobody cancelled.
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    cancelled_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

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
            "heartbeat_at",
            "cancelled_by",
        ]
        read_only_fields = fields
