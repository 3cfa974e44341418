"""Who may do what with issues and fixes through the API (the services check the same rules again)."""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from improvement.services.fixes import user_owns_fix_department
from improvement.services.issues import user_can_write_issues


class CanWriteIssues(BasePermission):
    """Reading needs only a sign-in (rows are limited by role); raising, editing, closing issues and proposing
    fixes is for team leads and staff admins. Executives read everything and write nothing."""

    message = "Only social team leads and admins may raise, edit or close issues and propose fixes."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return user_can_write_issues(request.user)


class CanDecideOnFix(BasePermission):
    """Accepting, rejecting, starting and shipping a fix is for owners of its department and staff admins."""

    message = "Only owners of the fix's department (or admins) may accept, reject, start or ship it."

    def has_object_permission(self, request, view, obj) -> bool:
        return user_owns_fix_department(user=request.user, fix=obj)
