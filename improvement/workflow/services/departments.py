"""Writes for departments and users with roles."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.text import slugify

from improvement.models import Department
from improvement.permissions import DEPARTMENT_OWNER, ROLES


def department_create(*, name: str, slug: str = "") -> Department:
    """Create a department; the slug defaults to the slugified name."""
    department = Department(name=name, slug=slug or slugify(name))
    department.full_clean()
    department.save()
    return department


def user_create_with_role(
    *, username: str, password: str, role: str | None = None, email: str = "", is_staff: bool = False
) -> User:
    """Create an active user, optionally in one of the role groups (staff admins are superusers)."""
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    with transaction.atomic():
        user = User(username=username, email=email, is_staff=is_staff, is_superuser=is_staff)
        user.set_password(password)
        user.full_clean()
        user.save()
        if role is not None:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
    return user


def department_add_owner(*, department: Department, user: User) -> Department:
    """Make the user an owner of the department and a member of the department-owner role."""
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=DEPARTMENT_OWNER)
        user.groups.add(group)
        department.owners.add(user)
    return department
