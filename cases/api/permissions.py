"""Who may do what with cases through the API."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class CanIngestCases(BasePermission):
    """Writing cases needs the `cases.add_case` permission (team leads and staff admins hold it)."""

    message = "Ingesting cases needs the cases.add_case permission (social team leads and admins)."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("cases.add_case"))


class CanReadCases(BasePermission):
    """Reading cases (customers' own words) needs the `cases.view_case` permission, which every Fixloop role holds;
    a signed-in user without a role, or a deactivated one, reads none."""

    message = "Reading cases needs the cases.view_case permission (a Fixloop role or staff admin)."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("cases.view_case"))
