"""Issue and fix endpoints: list and read by role, raise and propose for leads, transitions for owners.

Refusals: a wrong role answers 403, a transition the table forbids 409, missing or bad fields 400.
A transition on a fix of another department answers 403 (not 404): fix ids are not secret inside the
company, and a clear refusal is more useful than pretending the fix does not exist.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from improvement.api.impact import FixImpactOutputSerializer
from improvement.api.permissions import CanDecideOnFix, CanWriteIssues
from improvement.models import Department, FixImpact, FixTicket, ImprovementIssue, IssueEvent, Theme
from improvement.selectors.issues import (
    fix_list_visible,
    issue_events_visible,
    issue_fixes_visible,
    issue_list_visible,
)
from improvement.services.fixes import fix_accept, fix_propose, fix_reject, fix_ship, fix_start
from improvement.services.impact import ImpactUnavailable, fix_impact_evaluate
from improvement.services.issues import issue_close, issue_raise, issue_update
from improvement.transitions import TransitionNotAllowed


class ImpactConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The fix's impact cannot be measured yet."
    default_code = "impact_unavailable"


class TransitionConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This transition is not allowed from the current status."
    default_code = "transition_not_allowed"


def call_service(service: Callable[..., Any], **arguments: Any) -> Any:
    """Call a service, answering its validation errors with 400 and forbidden transitions with 409."""
    try:
        return service(**arguments)
    except DjangoValidationError as error:
        raise ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error
    except TransitionNotAllowed as error:
        raise TransitionConflict(str(error)) from error


REFUSALS = {
    400: OpenApiResponse(description="Missing or bad fields."),
    403: OpenApiResponse(description="The user's role may not do this."),
}
TRANSITION_REFUSALS = {
    **REFUSALS,
    403: OpenApiResponse(description="Not an owner of the fix's department (nor an admin)."),
    409: OpenApiResponse(description="The transition is not allowed from the fix's current status."),
}


# Output


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
            "id", "issue", "department", "department_name", "description", "due_date", "external_reference",
            "status", "proposed_by", "rejection_reason", "shipped_on", "verdict_note", "created_at", "updated_at",
        ]


class IssueOutputSerializer(serializers.ModelSerializer):
    raised_by = serializers.SlugRelatedField(read_only=True, slug_field="username", allow_null=True)
    themes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ImprovementIssue
        fields = [
            "id", "title", "problem_statement", "root_cause_hypothesis", "themes", "raised_by", "priority",
            "suggested_priority", "status", "evidence", "created_at", "updated_at", "closed_at",
        ]


class IssueDetailOutputSerializer(IssueOutputSerializer):
    fixes = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta(IssueOutputSerializer.Meta):
        fields = [*IssueOutputSerializer.Meta.fields, "fixes", "events"]

    @extend_schema_field(FixOutputSerializer(many=True))
    def get_fixes(self, issue: ImprovementIssue) -> list[dict]:
        fixes = issue_fixes_visible(issue=issue, user=self.context["request"].user)
        return FixOutputSerializer(fixes, many=True).data

    @extend_schema_field(IssueEventOutputSerializer(many=True))
    def get_events(self, issue: ImprovementIssue) -> list[dict]:
        events = issue_events_visible(issue=issue, user=self.context["request"].user)
        return IssueEventOutputSerializer(events, many=True).data


# Input


class IssueRaiseInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    theme = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all())
    problem_statement = serializers.CharField()
    root_cause_hypothesis = serializers.CharField(required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(
        choices=ImprovementIssue.Priority.choices, required=False, help_text="Defaults to the suggested priority."
    )


class IssueUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    problem_statement = serializers.CharField(required=False)
    root_cause_hypothesis = serializers.CharField(required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=ImprovementIssue.Priority.choices, required=False)


class NoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FixProposeInputSerializer(serializers.Serializer):
    issue = serializers.PrimaryKeyRelatedField(queryset=ImprovementIssue.objects.all())
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    description = serializers.CharField()
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    external_reference = serializers.URLField(
        required=False, allow_blank=True, default="", max_length=500, help_text="e.g. the Jira ticket's URL"
    )


class FixRejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the department will not make this fix (required).")


class FixShipInputSerializer(NoteInputSerializer):
    shipped_on = serializers.DateField(help_text="The day the fix reached customers (YYYY-MM-DD, not in the future).")


# Filters


class IssueFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ImprovementIssue.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=ImprovementIssue.Priority.choices)
    theme = django_filters.ModelChoiceFilter(field_name="themes", queryset=Theme.objects.all())

    class Meta:
        model = ImprovementIssue
        fields = ["status", "priority", "theme"]


class FixFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=FixTicket.Status.choices)
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all())
    issue = django_filters.ModelChoiceFilter(queryset=ImprovementIssue.objects.all())

    class Meta:
        model = FixTicket
        fields = ["status", "department", "issue"]


# Views


class IssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Improvement issues: leads, executives and admins see all; department owners see issues with a fix for one of
    their departments. The detail includes the fixes the user may see and the audit trail (`events`)."""

    permission_classes = [IsAuthenticated, CanWriteIssues]
    filterset_class = IssueFilter

    def get_queryset(self):
        return issue_list_visible(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return IssueDetailOutputSerializer
        return IssueOutputSerializer

    def _detail(self, issue: ImprovementIssue, status_code: int = status.HTTP_200_OK) -> Response:
        issue = self.get_queryset().get(pk=issue.pk)
        data = IssueDetailOutputSerializer(issue, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    @extend_schema(request=IssueRaiseInputSerializer, responses={201: IssueDetailOutputSerializer, **REFUSALS})
    def create(self, request):
        """Raise an issue from a theme (team leads and admins); its evidence is frozen now."""
        serializer = IssueRaiseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        issue = call_service(
            issue_raise, by=request.user, title=data["title"], problem_statement=data["problem_statement"],
            themes=[data["theme"]], root_cause_hypothesis=data["root_cause_hypothesis"],
            priority=data.get("priority", ""),
        )
        return self._detail(issue, status.HTTP_201_CREATED)

    @extend_schema(request=IssueUpdateInputSerializer, responses={200: IssueDetailOutputSerializer, **REFUSALS})
    def partial_update(self, request, pk=None):
        """Edit the title, problem statement, hypothesis or priority (team leads and admins)."""
        issue = self.get_object()
        serializer = IssueUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = call_service(issue_update, issue=issue, by=request.user, **serializer.validated_data)
        return self._detail(issue)

    @extend_schema(
        request=NoteInputSerializer,
        responses={200: IssueDetailOutputSerializer, **REFUSALS, 409: OpenApiResponse(description="Already closed.")},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def close(self, request, pk=None):
        """Close the issue (team leads and admins); it then stays closed whatever its fixes do."""
        issue = self.get_object()
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = call_service(issue_close, issue=issue, by=request.user, note=serializer.validated_data["note"])
        return self._detail(issue)


TRANSITION_ACTIONS = ("accept", "reject", "start", "ship")


class FixViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Fix tickets: leads, executives and admins see all; department owners see their departments' fixes.
    Leads propose; owners of the fix's department accept, reject, start and ship."""

    serializer_class = FixOutputSerializer
    filterset_class = FixFilter

    def get_queryset(self):
        if self.action in TRANSITION_ACTIONS:
            # Found for everyone, so another department's owner gets 403 from CanDecideOnFix, not 404.
            return FixTicket.objects.select_related("department", "issue")
        return fix_list_visible(user=self.request.user)

    def get_permissions(self):
        if self.action in TRANSITION_ACTIONS:
            return [IsAuthenticated(), CanDecideOnFix()]
        return [IsAuthenticated(), CanWriteIssues()]

    def _transition(self, request, service: Callable[..., FixTicket], input_class: type[serializers.Serializer]):
        fix = self.get_object()
        serializer = input_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        fix = call_service(service, fix=fix, by=request.user, **serializer.validated_data)
        return Response(FixOutputSerializer(fix).data)

    @extend_schema(request=FixProposeInputSerializer, responses={201: FixOutputSerializer, **REFUSALS})
    def create(self, request):
        """Propose a fix for an issue to a department (team leads and admins); its owners are emailed."""
        serializer = FixProposeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fix = call_service(fix_propose, by=request.user, **serializer.validated_data)
        return Response(FixOutputSerializer(fix).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NoteInputSerializer, responses={200: FixOutputSerializer, **TRANSITION_REFUSALS})
    @action(detail=True, methods=["post"], filterset_class=None)
    def accept(self, request, pk=None):
        """Accept a proposed fix; the lead who raised the issue is emailed."""
        return self._transition(request, fix_accept, NoteInputSerializer)

    @extend_schema(request=FixRejectInputSerializer, responses={200: FixOutputSerializer, **TRANSITION_REFUSALS})
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        """Reject a proposed fix with a reason; the lead who raised the issue is emailed."""
        return self._transition(request, fix_reject, FixRejectInputSerializer)

    @extend_schema(request=NoteInputSerializer, responses={200: FixOutputSerializer, **TRANSITION_REFUSALS})
    @action(detail=True, methods=["post"], filterset_class=None)
    def start(self, request, pk=None):
        """Start work on an accepted fix."""
        return self._transition(request, fix_start, NoteInputSerializer)

    @extend_schema(request=FixShipInputSerializer, responses={200: FixOutputSerializer, **TRANSITION_REFUSALS})
    @action(detail=True, methods=["post"], filterset_class=None)
    def ship(self, request, pk=None):
        """Record the day a fix in progress shipped; the lead who raised the issue is emailed."""
        return self._transition(request, fix_ship, FixShipInputSerializer)

    @extend_schema(
        responses={
            200: FixImpactOutputSerializer,
            409: OpenApiResponse(description="The fix is not shipped, or too few days are counted to measure it."),
        }
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def impact(self, request, pk=None):
        """The fix's stored impact estimate (computed now when none is stored yet); 409 when it cannot be measured."""
        fix = self.get_object()
        impact = FixImpact.objects.filter(fix=fix).first()
        if impact is None:
            try:
                impact = fix_impact_evaluate(fix=fix)
            except ImpactUnavailable as error:
                raise ImpactConflict(str(error)) from error
        return Response(FixImpactOutputSerializer(impact).data)
