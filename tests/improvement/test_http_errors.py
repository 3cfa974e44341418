"""How the API answers failures: one JSON error shape for every status, 503 with Retry-After for the database."""

from __future__ import annotations

import os

import psycopg
import pytest
from django.contrib.auth.models import Permission
from django.db import close_old_connections, connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.improvement.error_urls import SECRET

SERVER_ERROR = {"detail": "Server error.", "code": "server_error", "fields": {}}
DATABASE_UNAVAILABLE = {
    "detail": "The database is unavailable; retry shortly.",
    "code": "database_unavailable",
    "fields": {},
}


@pytest.fixture
def failing_client() -> APIClient:
    """A client that gets the response of an unhandled exception, as a real caller does, instead of the exception."""
    return APIClient(raise_request_exception=False)


@pytest.mark.urls("tests.improvement.error_urls")
@pytest.mark.parametrize("url", ["/api/test/crash/", "/api/test/plain-crash/"])
def test_an_unhandled_error_under_api_answers_500_json_without_the_traceback(db, failing_client, url):
    response = failing_client.get(url)

    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    assert response.json() == SERVER_ERROR
    assert SECRET not in response.content.decode()


@pytest.mark.urls("tests.improvement.error_urls")
def test_a_page_outside_api_keeps_the_html_500(db, failing_client):
    response = failing_client.get("/test/page-crash/")

    assert (response.status_code, response["Content-Type"]) == (500, "text/html; charset=utf-8")
    assert SECRET not in response.content.decode()


@pytest.mark.urls("tests.improvement.error_urls")
def test_a_lost_database_answers_503_json_with_retry_after(db, failing_client, settings):
    settings.API_RETRY_AFTER_SECONDS = 17

    response = failing_client.get("/api/test/database-gone/")

    assert (response.status_code, response["Retry-After"]) == (503, "17")
    assert response.json() == DATABASE_UNAVAILABLE


def test_an_unknown_api_path_answers_404_json(db, failing_client):
    response = failing_client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No API endpoint at /api/no-such-thing/.", "code": "not_found", "fields": {}}


def test_an_api_permission_denial_has_the_error_shape(api_client, department_owner):
    api_client.force_authenticate(department_owner)

    response = api_client.post("/api/clustering-runs/", {}, format="json")

    assert response.status_code == 403
    assert (response.json()["code"], response.json()["fields"]) == ("permission_denied", {})


def test_an_anonymous_api_call_answers_401_in_the_error_shape(db, api_client):
    response = api_client.get("/api/cases/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
        "fields": {},
    }


def test_the_schema_documents_the_error_shape_on_every_operation(db, api_client, team_lead):
    api_client.force_authenticate(team_lead)

    schema = api_client.get("/api/schema/?format=json").json()

    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code", "fields"]
    operations = [operation for item in schema["paths"].values() for operation in item.values()]
    assert operations
    assert all(
        operation["responses"]["default"]["content"]["application/json"]["schema"]
        == {"$ref": "#/components/schemas/Error"}
        for operation in operations
    )


# --- a real database restart and outage (PostgreSQL: a server whose connections can be cut) ---------------------


def _cut_this_connection() -> None:
    """Terminate the server process behind Django's connection, as a database restart does."""
    backend_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend_pid])


# Skipped at collection, before any database fixture: a flushed SQLite test database would upset the serialized
# rollbacks of later tests.
needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="cutting a live connection needs PostgreSQL"
)
# Outside a test transaction, as a web worker is; serialized like the other transactional tests, so the flush after
# it leaves the database as they expect.
committed_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def lead_token_client(team_lead) -> APIClient:
    # A committed test starts from a flushed database, where the migration that gives every role
    # `cases.view_case` left nothing behind: give the lead's group what that migration gives it.
    team_lead.groups.get().permissions.add(Permission.objects.get_by_natural_key("view_case", "cases", "case"))
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=team_lead).key}")
    return client


@needs_postgresql
@committed_db
def test_the_first_request_after_a_database_restart_reconnects(lead_token_client):
    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # a persistent connection, as in production
    connection.ensure_connection()
    _cut_this_connection()

    close_old_connections()  # what Django runs as each request starts
    response = lead_token_client.get("/api/cases/")

    assert (response.status_code, response.json()["results"]) == (200, [])


@needs_postgresql
@committed_db
def test_the_api_answers_503_with_retry_after_while_the_database_is_down(lead_token_client, settings):
    connection.ensure_connection()
    _cut_this_connection()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"  # nothing listens there: the server is down
    try:
        close_old_connections()
        during = lead_token_client.get("/api/cases/")
    finally:
        connection.settings_dict["PORT"] = real_port
    close_old_connections()
    after = lead_token_client.get("/api/cases/")

    assert (during.status_code, during["Retry-After"], during.json()) == (503, "30", DATABASE_UNAVAILABLE)
    assert after.status_code == 200


# --- the error pages outside /api/ (issue #15 item 5) -----------------------------------------------------------

HOME_LINK = '<a class="button" href="/">Go to the home page</a>'


@pytest.mark.urls("tests.improvement.error_urls")
def test_the_500_page_is_styled_with_a_way_home_and_needs_no_database(failing_client):
    # No `db` fixture: any query while answering would raise, and the page would fall back to plain text.
    response = failing_client.get("/test/page-crash/")

    body = response.content.decode()
    assert (response.status_code, response["Content-Type"]) == (500, "text/html; charset=utf-8")
    assert "<title>Server error · Fixloop</title>" in body
    assert "Something went wrong on our side" in body
    assert HOME_LINK in body
    assert SECRET not in body


def test_a_403_page_names_the_reason_and_keeps_the_navigation(client, department_owner):
    client.force_login(department_owner)

    response = client.get("/dashboards/")

    body = response.content.decode()
    assert response.status_code == 403
    assert "<title>Not allowed · Fixloop</title>" in body
    assert '<p class="reason">The executive dashboard is for executives.</p>' in body
    assert HOME_LINK in body
    assert '<a href="/dashboards/queue/">Fix queue</a>' in body
    assert f'<span class="who">{department_owner.username}</span>' in body


def test_a_403_is_one_warning_line_without_a_traceback(client, department_owner, caplog):
    client.force_login(department_owner)

    with caplog.at_level("INFO", logger="django.request"):
        client.get("/dashboards/")

    records = [(record.levelname, record.getMessage(), record.exc_info) for record in caplog.records]
    assert records == [("WARNING", "Forbidden (Permission denied): /dashboards/", None)]
    assert "Traceback" not in caplog.text


def test_a_404_page_names_the_missing_object_and_links_home(client, team_lead):
    client.force_login(team_lead)

    response = client.get("/import/999999/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "<title>Not found · Fixloop</title>" in body
    assert '<p class="reason">No such import.</p>' in body
    assert HOME_LINK in body


def test_an_unknown_page_is_a_404_naming_the_path_with_a_log_in_link_for_visitors(db, client, caplog):
    with caplog.at_level("INFO", logger="django.request"):
        response = client.get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert '<p class="reason">There is no page at /no-such-page/.</p>' in body
    assert HOME_LINK in body
    assert '<a href="/accounts/login/">Log in</a>' in body
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        ("WARNING", "Not Found: /no-such-page/")
    ]
