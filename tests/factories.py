"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import importlib

import factory
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from improvement.models import Department
from improvement.permissions import DEPARTMENT_OWNER, EXECUTIVE, TEAM_LEAD

_CASE_PERMISSIONS_MIGRATION = importlib.import_module("cases.migrations.0002_case_permissions_for_roles")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda number: f"user{number}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "secret-password")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        _add_role_and_save(user, create, extracted)


def _add_role_and_save(user, create: bool, role: str | None) -> None:
    if create and role:
        group, created = Group.objects.get_or_create(name=role)
        if created:
            # A transactional test's flush removed the role groups the migrations made, and with them the case
            # permissions cases/0002 grants: give them back as that migration does.
            _CASE_PERMISSIONS_MIGRATION.grant_case_permissions(django_apps, None)
        user.groups.add(group)
    if create:
        user.save()


def _role_factory(role_name: str, factory_name: str) -> type[UserFactory]:
    def role(user, create, extracted, **kwargs):
        _add_role_and_save(user, create, extracted or role_name)

    return type(factory_name, (UserFactory,), {"role": factory.PostGeneration(role)})


TeamLeadFactory = _role_factory(TEAM_LEAD, "TeamLeadFactory")
ExecutiveFactory = _role_factory(EXECUTIVE, "ExecutiveFactory")
DepartmentOwnerFactory = _role_factory(DEPARTMENT_OWNER, "DepartmentOwnerFactory")


class StaffAdminFactory(UserFactory):
    is_staff = True
    is_superuser = True


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda number: f"Department {number}")
    slug = factory.LazyAttribute(lambda department: department.name.lower().replace(" ", "-"))

    @factory.post_generation
    def owners(department, create, extracted, **kwargs):
        if create and extracted:
            department.owners.add(*extracted)
