"""Reads behind the dashboard pages."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from improvement.models import Department
from improvement.roles import user_is_admin, user_is_department_owner, user_is_executive, user_is_team_lead


def landing_url_name_for(user: AbstractBaseUser) -> str:
    """The URL name of the first page a user sees after logging in, by role."""
    if user_is_executive(user):
        return "dashboards:executive"
    if user_is_team_lead(user):
        return "dashboards:lead"
    if user_is_department_owner(user):
        return "dashboards:owner"
    if user_is_admin(user):
        return "admin:index"
    return "dashboards:no_role"


def owner_departments(*, user: AbstractBaseUser) -> QuerySet[Department]:
    """Departments the user owns (every department for a staff admin)."""
    if user_is_admin(user):
        return Department.objects.all()
    return Department.objects.filter(owners=user)
