"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from improvement.models import Department
from improvement.permissions import DEPARTMENT_OWNER, EXECUTIVE, TEAM_LEAD


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
        user.groups.add(Group.objects.get_or_create(name=role)[0])
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
