from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from improvement.models import Department

pytestmark = pytest.mark.django_db

ROLE_LANDINGS = {
    "lead": "/dashboards/themes/",
    "exec": "/dashboards/",
    "owner-logistics": "/dashboards/queue/",
    "owner-billing": "/dashboards/queue/",
    "admin": "/admin/",
}


@pytest.fixture
def demo_people(db):
    from improvement.demo.seeding import demo_seed_people

    return demo_seed_people()


def test_demo_creates_departments_and_a_user_for_every_role(demo_people):
    assert list(Department.objects.values_list("slug", flat=True)) == [
        "billing",
        "customer-care",
        "digital",
        "logistics",
        "stores",
    ]
    assert sorted(get_user_model().objects.values_list("username", flat=True)) == [
        "admin",
        "exec",
        "lead",
        "owner-billing",
        "owner-customer-care",
        "owner-digital",
        "owner-logistics",
        "owner-stores",
    ]
    assert list(Department.objects.get(slug="logistics").owners.values_list("username", flat=True)) == [
        "owner-logistics"
    ]


@pytest.mark.parametrize(("username", "landing"), ROLE_LANDINGS.items())
def test_each_demo_user_logs_in_and_lands_on_its_role_page(client, demo_people, username, landing):
    response = client.post("/accounts/login/", {"username": username, "password": "demo"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == landing


def test_owner_sees_only_their_department_on_the_queue(client, demo_people):
    client.login(username="owner-stores", password="demo")

    response = client.get("/dashboards/queue/")

    assert [department.slug for department in response.context["departments"]] == ["stores"]


def test_role_pages_refuse_other_roles(client, demo_people):
    client.login(username="owner-stores", password="demo")

    assert client.get("/dashboards/").status_code == 403
    assert client.get("/dashboards/themes/").status_code == 403


def test_demo_command_refuses_a_database_with_data_unless_if_empty(demo_people):
    with pytest.raises(CommandError, match="only seeds an empty database"):
        call_command("demo")

    call_command("demo", "--if-empty")

    assert get_user_model().objects.count() == 8


def test_demo_if_empty_on_a_used_database_says_what_it_holds_and_how_to_start_over(demo_people):
    output = StringIO()

    call_command("demo", "--if-empty", "--cases-file", "contacts.csv", stdout=output)

    assert output.getvalue().splitlines() == [
        "Database already has data (0 cases, 8 users, 0 themes, 0 issues): demo not seeded and contacts.csv "
        "was not loaded.",
        "  To add a file's cases to it: make import FILE=path.csv FORMAT=generic|airline|twcs; to start over "
        "from an empty database: make reset, then make run.",
    ]
