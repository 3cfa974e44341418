from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

OUR_APPS = {"cases", "improvement"}


def test_every_model_of_ours_is_registered_in_the_admin():
    from django.apps import apps

    ours = {model for model in apps.get_models() if model._meta.app_label in OUR_APPS}
    registered = set(admin.site._registry)

    assert sorted(model.__name__ for model in ours - registered) == []


@pytest.mark.parametrize(
    "model", [model for model in admin.site._registry if model._meta.app_label in OUR_APPS], ids=lambda m: m.__name__
)
def test_admin_changelist_opens_for_a_staff_admin(client, staff_admin, model):
    client.force_login(staff_admin)

    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))

    assert response.status_code == 200


def test_view_site_leads_an_admin_to_the_dashboards_not_back_to_the_admin(client, staff_admin):
    client.force_login(staff_admin)

    admin_page = client.get(reverse("admin:index")).content.decode()
    landing = client.get("/dashboards/")

    assert '<a href="/dashboards/">View site</a>' in admin_page
    assert landing.status_code == 200
