"""Input and output shapes of the department, issue and fix endpoints, and the refusals they document."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from improvement.models import Department, FixTicket, ImprovementIssue, IssueEvent, Theme
from improvement.models.issues import EXTERNAL_REFERENCE_MAX_LENGTH, TITLE_MAX_LENGTH
from improvement.workflow.selectors import issue_events_visible, issue_fixes_visible, issue_linked_cases
from improvement.workflow.services.evidence import ISSUE_LINK_MAXIMUM_CASES

REFUSALS = {
    400: OpenApiResponse(description="Missing or bad fields."),
    403: OpenApiResponse(description="The user's role may not do this."),
}
TRANSITION_REFUSALS = {
    **REFUSALS,
    403: OpenApiResponse(description="Not an owner of the fix's department (nor an admin)."),
    409: OpenApiResponse(description="The transition is not allowed from the fix's current status."),
}

LEAD_FIX_REFUSALS = {
    **REFUSALS,
    403: OpenApiResponse(description="Not a team lead (nor an admin)."),
    409: OpenApiResponse(description="The fix is no longer a proposal, or its issue is closed."),
}

ROOT_CAUSE_HELP = "The confirmed root cause (the known-error record), once found."
WORKAROUND_HELP = "What agents can tell or do for customers while the fix is pending; shown on the issue's themes."


class IssueEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(read_only=True, slug_field="username", allow_null=True)

    class Meta:
        model = IssueEvent
        fields = ["id", "kind", "fix", "actor", "from_status", "to_status", "note", "created_at"]


class FixOutputSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    proposed_by = serializers.SlugRelatedField(read_only=True, slug_field="username", allow_null=True)

    class Meta:
        model = FixTicket
        fields = [
            "id",
            "issue",
            "department",
            "department_name",
            "description",
            "due_date",
            "external_reference",
            "status",
            "proposed_by",
            "rejection_reason",
            "withdrawal_reason",
            "shipped_on",
            "verdict_note",
            "created_at",
            "updated_at",
        ]


class IssueOutputSerializer(serializers.ModelSerializer):
    raised_by = serializers.SlugRelatedField(read_only=True, slug_field="username", allow_null=True)
    themes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ImprovementIssue
        fields = [
            "id",
            "title",
            "problem_statement",
            "root_cause_hypothesis",
            "root_cause",
            "workaround",
            "themes",
            "raised_by",
            "priority",
            "suggested_priority",
            "status",
            "evidence",
            "created_at",
            "updated_at",
            "closed_at",
        ]


class LinkedCaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    received_at = serializers.DateTimeField()
    brand = serializers.CharField()
    channel = serializers.CharField()
    linked_at = serializers.DateTimeField()
    linked_by = serializers.CharField(source="linked_by_name", help_text="Username; empty once the user is gone.")


class IssueLinkCasesInputSerializer(serializers.Serializer):
    case_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=ISSUE_LINK_MAXIMUM_CASES,
        help_text=f"Cases to link as evidence; at most {ISSUE_LINK_MAXIMUM_CASES}. Already linked ones stay.",
    )


class IssueDetailOutputSerializer(IssueOutputSerializer):
    fixes = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    linked_cases = serializers.SerializerMethodField()

    class Meta(IssueOutputSerializer.Meta):
        fields = [*IssueOutputSerializer.Meta.fields, "fixes", "events", "linked_cases"]

    @extend_schema_field(LinkedCaseOutputSerializer(many=True))
    def get_linked_cases(self, issue: ImprovementIssue) -> list[dict]:
        return LinkedCaseOutputSerializer(issue_linked_cases(issue=issue), many=True).data

    @extend_schema_field(FixOutputSerializer(many=True))
    def get_fixes(self, issue: ImprovementIssue) -> list[dict]:
        fixes = issue_fixes_visible(issue=issue, user=self.context["request"].user)
        return FixOutputSerializer(fixes, many=True).data

    @extend_schema_field(IssueEventOutputSerializer(many=True))
    def get_events(self, issue: ImprovementIssue) -> list[dict]:
        events = issue_events_visible(issue=issue, user=self.context["request"].user)
        return IssueEventOutputSerializer(events, many=True).data


class IssueRaiseInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    theme = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all())
    problem_statement = serializers.CharField()
    root_cause_hypothesis = serializers.CharField(required=False, allow_blank=True, default="")
    root_cause = serializers.CharField(required=False, allow_blank=True, default="", help_text=ROOT_CAUSE_HELP)
    workaround = serializers.CharField(required=False, allow_blank=True, default="", help_text=WORKAROUND_HELP)
    priority = serializers.ChoiceField(
        choices=ImprovementIssue.Priority.choices, required=False, help_text="Defaults to the suggested priority."
    )


class IssueUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    problem_statement = serializers.CharField(required=False)
    root_cause_hypothesis = serializers.CharField(required=False, allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True, help_text=ROOT_CAUSE_HELP)
    workaround = serializers.CharField(required=False, allow_blank=True, help_text=WORKAROUND_HELP)
    priority = serializers.ChoiceField(choices=ImprovementIssue.Priority.choices, required=False)


class NoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FixProposeInputSerializer(serializers.Serializer):
    issue = serializers.PrimaryKeyRelatedField(queryset=ImprovementIssue.objects.all())
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    description = serializers.CharField()
    due_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="Today or later.")
    external_reference = serializers.URLField(
        required=False,
        allow_blank=True,
        default="",
        max_length=EXTERNAL_REFERENCE_MAX_LENGTH,
        help_text="e.g. the Jira ticket's URL",
    )


class FixEditInputSerializer(serializers.Serializer):
    description = serializers.CharField(required=False)
    due_date = serializers.DateField(required=False, allow_null=True, help_text="Today or later, or null.")
    external_reference = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=EXTERNAL_REFERENCE_MAX_LENGTH,
        help_text="e.g. the Jira ticket's URL",
    )


class FixWithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Why (optional).")


class FixRejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the department will not make this fix (required).")


class FixShipInputSerializer(NoteInputSerializer):
    shipped_on = serializers.DateField(help_text="The day the fix reached customers (YYYY-MM-DD, not in the future).")
