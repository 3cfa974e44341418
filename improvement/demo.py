"""Builds a running demo from an empty database: departments, users for every role, and data."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from improvement.models import Department
from improvement.roles import EXECUTIVE, TEAM_LEAD
from improvement.services.departments import department_add_owner, department_create, user_create_with_role

DEMO_PASSWORD = "demo"
DEMO_DEPARTMENTS = ("Logistics", "Billing", "Digital", "Stores", "Customer Care")


@dataclass
class DemoResult:
    """What the demo created, for printing logins."""

    logins: list[tuple[str, str]] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)


def demo_database_is_empty() -> bool:
    """Whether the database has no users and no departments yet (a fresh install)."""
    return not get_user_model().objects.exists() and not Department.objects.exists()


@transaction.atomic
def demo_seed_people() -> DemoResult:
    """Create the demo departments and one user per role (password `demo`); refuses a non-empty database."""
    if not demo_database_is_empty():
        raise ValueError("the demo only seeds an empty database; it already has users or departments")
    result = DemoResult()
    user_create_with_role(username="admin", password=DEMO_PASSWORD, is_staff=True, email="admin@example.com")
    result.logins.append(("admin", "staff admin"))
    user_create_with_role(username="lead", password=DEMO_PASSWORD, role=TEAM_LEAD, email="lead@example.com")
    result.logins.append(("lead", TEAM_LEAD))
    user_create_with_role(username="exec", password=DEMO_PASSWORD, role=EXECUTIVE, email="exec@example.com")
    result.logins.append(("exec", EXECUTIVE))
    for name in DEMO_DEPARTMENTS:
        department = department_create(name=name)
        owner = user_create_with_role(
            username=f"owner-{department.slug}", password=DEMO_PASSWORD, email=f"owner-{department.slug}@example.com"
        )
        department_add_owner(department=department, user=owner)
        result.logins.append((owner.username, f"Department owner, {department.name}"))
        result.departments.append(department.name)
    return result
