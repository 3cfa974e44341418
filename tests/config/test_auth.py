from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_token_endpoint_returns_the_users_token(api_client, team_lead):
    response = api_client.post("/api/auth/token/", {"username": "lead-user", "password": "secret-password"})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=team_lead).key}


def test_token_endpoint_refuses_a_wrong_password(api_client, team_lead):
    response = api_client.post("/api/auth/token/", {"username": "lead-user", "password": "wrong"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Unable to log in with provided credentials.",
        "code": "invalid",
        "fields": {"non_field_errors": ["Unable to log in with provided credentials."]},
    }


def test_api_refuses_anonymous_requests(api_client):
    response = api_client.get("/api/schema/")

    assert response.status_code == 401


def test_api_accepts_a_token(api_client, team_lead):
    token = Token.objects.create(user=team_lead)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api_client.get("/api/schema/")

    assert response.status_code == 200


def test_login_page_logs_in_and_logout_returns_to_login(client, executive):
    response = client.post("/accounts/login/", {"username": "exec-user", "password": "secret-password"})
    assert response.status_code == 302

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/"


def test_token_endpoint_answers_400_naming_the_depth_limit_for_5000_nested_brackets(api_client, team_lead):
    response = api_client.post("/api/auth/token/", "[" * 5_000, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON nested deeper than 64 levels; the limit is 64.",
        "code": "parse_error",
        "fields": {},
    }
