"""Give the roles their case permissions: team leads add and view, executives and department owners view."""
from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

TEAM_LEAD = "Social team lead"
READ_ONLY_ROLES = ("Executive", "Department owner")


def grant_case_permissions(apps, schema_editor) -> None:
    # Permissions are normally created after all migrations; create them now so they can be granted.
    create_permissions(global_apps.get_app_config("cases"), verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = {
        permission.codename: permission
        for permission in Permission.objects.filter(
            content_type__app_label="cases", codename__in=["add_case", "view_case"],
        )
    }
    team_lead, _ = Group.objects.get_or_create(name=TEAM_LEAD)
    team_lead.permissions.add(permissions["add_case"], permissions["view_case"])
    for name in READ_ONLY_ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(permissions["view_case"])


def revoke_case_permissions(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="cases", codename__in=["add_case", "view_case"])
    for group in Group.objects.filter(name__in=[TEAM_LEAD, *READ_ONLY_ROLES]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_case_permissions, revoke_case_permissions)]
