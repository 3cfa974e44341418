"""The three roles of Fixloop, held as Django groups, and the questions asked of them."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

TEAM_LEAD = "Social team lead"
DEPARTMENT_OWNER = "Department owner"
EXECUTIVE = "Executive"
ROLES = (TEAM_LEAD, DEPARTMENT_OWNER, EXECUTIVE)


def user_has_role(*, user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    """Whether the user is active and belongs to the role's group (group names are cached per request user)."""
    if not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, "_fixloop_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._fixloop_role_names = cached
    return role in cached


def user_is_team_lead(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user_has_role(user=user, role=TEAM_LEAD)


def user_is_department_owner(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user_has_role(user=user, role=DEPARTMENT_OWNER)


def user_is_executive(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user_has_role(user=user, role=EXECUTIVE)


def user_is_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)
