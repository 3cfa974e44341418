"""Issue endpoints: list and read by role; raise, edit and close for team leads and staff admins.

Refusals (improvement.http_errors): a wrong role answers 403, a transition the table forbids 409, missing or
bad fields 400.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from improvement.models import ImprovementIssue
from improvement.permissions import CanWriteIssues
from improvement.workflow.api.filters import IssueFilter
from improvement.workflow.api.serializers import (
    REFUSALS,
    IssueDetailOutputSerializer,
    IssueLinkCasesInputSerializer,
    IssueOutputSerializer,
    IssueRaiseInputSerializer,
    IssueUpdateInputSerializer,
    NoteInputSerializer,
)
from improvement.workflow.selectors import issue_list_visible
from improvement.workflow.services.evidence import issue_link_cases
from improvement.workflow.services.issues import issue_close, issue_raise, issue_reopen, issue_update


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
        issue = issue_raise(
            by=request.user,
            title=data["title"],
            problem_statement=data["problem_statement"],
            themes=[data["theme"]],
            root_cause_hypothesis=data["root_cause_hypothesis"],
            root_cause=data["root_cause"],
            workaround=data["workaround"],
            priority=data.get("priority", ""),
        )
        return self._detail(issue, status.HTTP_201_CREATED)

    @extend_schema(request=IssueUpdateInputSerializer, responses={200: IssueDetailOutputSerializer, **REFUSALS})
    def partial_update(self, request, pk=None):
        """Edit the title, problem statement, hypothesis, root cause, workaround or priority (team leads and admins)."""
        issue = self.get_object()
        serializer = IssueUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = issue_update(issue=issue, by=request.user, **serializer.validated_data)
        return self._detail(issue)

    @extend_schema(
        request=NoteInputSerializer,
        responses={200: IssueDetailOutputSerializer, **REFUSALS, 409: OpenApiResponse(description="Already closed.")},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def close(self, request, pk=None):
        """Close the issue (team leads and admins): its open fixes are cancelled with the note as the reason, and
        it stays closed whatever its shipped fixes do until a lead reopens it."""
        issue = self.get_object()
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = issue_close(issue=issue, by=request.user, note=serializer.validated_data["note"])
        return self._detail(issue)

    @extend_schema(
        request=NoteInputSerializer,
        responses={200: IssueDetailOutputSerializer, **REFUSALS, 409: OpenApiResponse(description="Not closed.")},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reopen(self, request, pk=None):
        """Reopen a closed issue (team leads and admins); its status then follows its fixes again."""
        issue = self.get_object()
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = issue_reopen(issue=issue, by=request.user, note=serializer.validated_data["note"])
        return self._detail(issue)

    @extend_schema(request=IssueLinkCasesInputSerializer, responses={200: IssueDetailOutputSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], url_path="link-cases", filterset_class=None)
    def link_cases(self, request, pk=None):
        """Link cases to the issue as extra evidence (team leads and admins); the detail lists them in
        `linked_cases` and the audit trail records who linked which."""
        issue = self.get_object()
        serializer = IssueLinkCasesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue_link_cases(issue=issue, case_ids=serializer.validated_data["case_ids"], by=request.user)
        return self._detail(issue)
