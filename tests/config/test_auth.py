from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

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


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", '{"username": "lead-user", "password": "' + "x" * 2_000 + '"}'),
        ("application/x-www-form-urlencoded", "username=lead-user&password=" + "x" * 2_000),
    ],
)
def test_token_endpoint_answers_413_naming_the_limit_for_a_body_over_it(
    api_client, team_lead, settings, content_type, body
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = api_client.post("/api/auth/token/", body, content_type=content_type)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than 1,000 bytes (DATA_UPLOAD_MAX_MEMORY_SIZE).",
        "code": "request_too_large",
        "fields": {},
    }


def test_token_endpoint_answers_413_naming_the_limit_for_a_multipart_body_over_it(team_lead, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    client = APIClient(raise_request_exception=False)

    response = client.post("/api/auth/token/", {"username": "lead-user", "password": "x" * 2_000}, format="multipart")

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than 1,000 bytes (DATA_UPLOAD_MAX_MEMORY_SIZE).",
        "code": "request_too_large",
        "fields": {},
    }
