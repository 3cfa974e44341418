"""Fix endpoints: list and read by role, propose for team leads, transitions for owners of the fix's department.

A transition on a fix of another department answers 403 (not 404): fix ids are not secret inside the company,
and a clear refusal is more useful than pretending the fix does not exist. A fix's impact is read at
`GET /api/fixes/{id}/impact/` (improvement.impact.api).
"""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from improvement.models import FixTicket
from improvement.permissions import CanDecideOnFix, CanWriteIssues
from improvement.workflow.api.filters import FixFilter
from improvement.workflow.api.serializers import (
    LEAD_FIX_REFUSALS,
    REFUSALS,
    TRANSITION_REFUSALS,
    FixEditInputSerializer,
    FixOutputSerializer,
    FixProposeInputSerializer,
    FixRejectInputSerializer,
    FixShipInputSerializer,
    FixWithdrawInputSerializer,
    NoteInputSerializer,
)
from improvement.workflow.selectors import fix_list_visible
from improvement.workflow.services.fixes import (
    fix_accept,
    fix_edit,
    fix_propose,
    fix_reject,
    fix_ship,
    fix_start,
    fix_withdraw,
)

TRANSITION_ACTIONS = ("accept", "reject", "start", "ship")
LEAD_ACTIONS = ("withdraw", "partial_update")


class FixViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Fix tickets: leads, executives and admins see all; department owners see their departments' fixes.
    Leads propose, edit and withdraw proposals; owners of the fix's department accept, reject, start and ship."""

    serializer_class = FixOutputSerializer
    filterset_class = FixFilter

    def get_queryset(self):
        if self.action in TRANSITION_ACTIONS:
            # Found for everyone, so another department's owner gets 403 from CanDecideOnFix, not 404.
            return FixTicket.objects.select_related("department", "issue")
        if self.action in LEAD_ACTIONS:
            # Leads see every fix; anyone else is refused by CanWriteIssues before the lookup matters.
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
        fix = service(fix=fix, by=request.user, **serializer.validated_data)
        return Response(FixOutputSerializer(fix).data)

    @extend_schema(request=FixProposeInputSerializer, responses={201: FixOutputSerializer, **REFUSALS})
    def create(self, request):
        """Propose a fix for an issue to a department (team leads and admins); its owners are emailed."""
        serializer = FixProposeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fix = fix_propose(by=request.user, **serializer.validated_data)
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

    @extend_schema(request=FixEditInputSerializer, responses={200: FixOutputSerializer, **LEAD_FIX_REFUSALS})
    def partial_update(self, request, pk=None):
        """Edit a proposed fix's description, due date or external reference (team leads and admins)."""
        fix = self.get_object()
        serializer = FixEditInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fix = fix_edit(fix=fix, by=request.user, **serializer.validated_data)
        return Response(FixOutputSerializer(fix).data)

    @extend_schema(request=FixWithdrawInputSerializer, responses={200: FixOutputSerializer, **LEAD_FIX_REFUSALS})
    @action(detail=True, methods=["post"], filterset_class=None)
    def withdraw(self, request, pk=None):
        """Withdraw a proposed fix (team leads and admins); the department's owners are notified."""
        return self._transition(request, fix_withdraw, FixWithdrawInputSerializer)
