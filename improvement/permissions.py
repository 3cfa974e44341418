"""Who may do what: the one module every API, page, export and selector asks.

The three roles of Fixloop are Django groups; staff admins may do everything. DRF permission classes at the
bottom are thin wrappers over the predicates, which the services check again (object permissions do not run
on create).
"""

from __future__ import annotations

from typing import Any, TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from rest_framework.permissions import SAFE_METHODS, BasePermission

from improvement.errors import NotAllowed

TEAM_LEAD = "Social team lead"
DEPARTMENT_OWNER = "Department owner"
EXECUTIVE = "Executive"
ROLES = (TEAM_LEAD, DEPARTMENT_OWNER, EXECUTIVE)

# A signed-in user or the anonymous one (Django ships no type hints, so this is for readers).
AnyUser: TypeAlias = User | AnonymousUser


def user_has_role(*, user: AnyUser, role: str) -> bool:
    """Whether the user is active and belongs to the role's group (group names are cached per request user)."""
    if not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, "_fixloop_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._fixloop_role_names = cached  # type: ignore[attr-defined]  # a per-request cache on the user object
    return role in cached


def user_is_team_lead(user: AnyUser) -> bool:
    return user_has_role(user=user, role=TEAM_LEAD)


def user_is_department_owner(user: AnyUser) -> bool:
    return user_has_role(user=user, role=DEPARTMENT_OWNER)


def user_is_executive(user: AnyUser) -> bool:
    return user_has_role(user=user, role=EXECUTIVE)


def user_is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def user_has_any_role(user: AnyUser) -> bool:
    """Team leads, department owners, executives and staff admins: whoever reads themes and exports."""
    return user_is_team_lead(user) or user_is_executive(user) or user_is_department_owner(user) or user_is_admin(user)


def user_can_read_themes(user: AnyUser) -> bool:
    """Every role reads themes."""
    return user_has_any_role(user)


def user_can_curate_themes(user: AnyUser) -> bool:
    """Social team leads and staff admins rename, merge, split, move cases and request or cancel clustering runs."""
    return user_is_team_lead(user) or user_is_admin(user)


def user_can_write_issues(user: AnyUser) -> bool:
    """Social team leads and staff admins raise, edit and close issues and propose fixes."""
    return user_is_team_lead(user) or user_is_admin(user)


def user_sees_all_issues(user: AnyUser) -> bool:
    """Team leads, executives and staff admins see every issue and every fix (owners see their departments')."""
    return user_is_team_lead(user) or user_is_executive(user) or user_is_admin(user)


def user_owns_fix_department(*, user: AnyUser, fix: Any) -> bool:
    """Whether the user may decide on the fix: an owner of its department, or a staff admin."""
    if user_is_admin(user):
        return True
    return bool(user.is_authenticated and user.is_active and fix.department.owners.filter(pk=user.pk).exists())


def user_can_see_executive_dashboard(user: AnyUser) -> bool:
    """Executives and staff admins: the company roll-up (scorecard, contacts avoided across departments).

    Team leads read every fix's impact on its fix page (`fix_list_visible`) and land on the themes page; the
    roll-up stays with those who steer departments (issue #15 decided this, with the fix page as the leads' view).
    """
    return user_is_executive(user) or user_is_admin(user)


def user_can_see_theme_overview(user: AnyUser) -> bool:
    """The team leads' themes page."""
    return user_is_team_lead(user) or user_is_admin(user)


def user_can_import_cases(user: AnyUser) -> bool:
    """Social team leads and staff admins upload contacts files."""
    return user_is_team_lead(user) or user_is_admin(user)


def user_can_see_fix_queue(user: AnyUser) -> bool:
    return user_is_department_owner(user) or user_is_admin(user)


def permission_require(allowed: bool, message: str) -> None:
    """Raise NotAllowed with the message unless allowed."""
    if not allowed:
        raise NotAllowed(message)


CURATOR_ONLY = "Only social team leads and staff admins may curate themes or request or cancel clustering runs."


def permission_require_curator(user: AnyUser | None) -> None:
    """Raise NotAllowed unless the user (None: the system, e.g. the nightly run) may curate themes."""
    permission_require(user is None or user_can_curate_themes(user), CURATOR_ONLY)


# DRF permission classes: thin wrappers over the predicates above.


class CanReadThemes(BasePermission):
    message = "Reading themes needs a Fixloop role (team lead, department owner, executive) or staff admin."

    def has_permission(self, request: Any, view: Any) -> bool:
        return user_can_read_themes(request.user)


class HasFixloopRole(BasePermission):
    message = "This needs a Fixloop role (team lead, department owner, executive) or staff admin."

    def has_permission(self, request: Any, view: Any) -> bool:
        return user_has_any_role(request.user)


class CanCurateThemes(BasePermission):
    message = CURATOR_ONLY

    def has_permission(self, request: Any, view: Any) -> bool:
        return user_can_curate_themes(request.user)


class CanWriteIssues(BasePermission):
    """Reading needs only a sign-in (rows are limited by role); raising, editing, closing issues and proposing
    fixes is for team leads and staff admins. Executives read everything and write nothing."""

    message = "Only social team leads and admins may raise, edit or close issues and propose fixes."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return user_can_write_issues(request.user)


class CanDecideOnFix(BasePermission):
    """Accepting, rejecting, starting and shipping a fix is for owners of its department and staff admins."""

    message = "Only owners of the fix's department (or admins) may accept, reject, start or ship it."

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return user_owns_fix_department(user=request.user, fix=obj)


class CanSeeExecutiveDashboard(BasePermission):
    message = "The executive dashboard is for executives and staff admins."

    def has_permission(self, request: Any, view: Any) -> bool:
        return user_can_see_executive_dashboard(request.user)
