from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/dashboards/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/dashboards/"


def test_user_without_a_role_lands_on_the_no_role_page(client):
    UserFactory(username="nobody")
    client.login(username="nobody", password="secret-password")

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == "/no-role/"
    assert b"has no Fixloop role" in response.content
