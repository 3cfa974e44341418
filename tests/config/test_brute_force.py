"""Brute force: django-axes locks a username out from an address after AXES_FAILURE_LIMIT wrong passwords, on the
login form and on the token endpoint alike; DRF throttles limit sign-in requests per address and writes per user."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.authtoken.models import Token

from cases.models import Case
from config.lockout import client_ip_address
from tests.conftest import REPOSITORY_ROOT

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token/"
LOGIN_URL = "/accounts/login/"
LOCKED = (
    "Too many failed sign-ins: after 5 wrong passwords for this username from this address, signing in is locked "
    "for 15 minutes."
)


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    return settings


def _cool_off_passes() -> None:
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=15, seconds=1))


def test_settings_lock_out_after_5_failures_for_15_minutes_per_username_and_address(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == dt.timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_token_endpoint_locks_out_after_5_wrong_passwords_then_refuses_the_right_one_until_cool_off(
    axes_on, api_client, team_lead
):
    wrong = [api_client.post(TOKEN_URL, {"username": "lead-user", "password": "wrong"}) for _ in range(5)]
    right = api_client.post(TOKEN_URL, {"username": "lead-user", "password": "secret-password"})

    assert [response.status_code for response in wrong] == [400, 400, 400, 400, 429]
    assert right.status_code == 429
    assert right.json() == {"detail": LOCKED, "code": "locked_out", "fields": {}}
    assert right["Retry-After"] == "900"
    assert not Token.objects.filter(user=team_lead).exists()

    _cool_off_passes()
    after = api_client.post(TOKEN_URL, {"username": "lead-user", "password": "secret-password"})

    assert after.status_code == 200
    assert after.json() == {"token": Token.objects.get(user=team_lead).key}


def test_login_form_locks_out_after_5_wrong_passwords_then_refuses_the_right_one_until_cool_off(
    axes_on, client, executive
):
    wrong = [client.post(LOGIN_URL, {"username": "exec-user", "password": "wrong"}) for _ in range(5)]
    right = client.post(LOGIN_URL, {"username": "exec-user", "password": "secret-password"})

    assert [response.status_code for response in wrong] == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert right["Content-Type"] == "text/html; charset=utf-8"
    assert f'<p class="error" id="lockout-message">{LOCKED}</p>' in right.content.decode()
    assert "_auth_user_id" not in client.session

    _cool_off_passes()
    after = client.post(LOGIN_URL, {"username": "exec-user", "password": "secret-password"})

    assert after.status_code == 302
    assert client.session["_auth_user_id"] == str(executive.pk)


def test_a_lockout_on_the_form_also_locks_the_token_endpoint_for_that_username(axes_on, client, api_client, executive):
    for _ in range(5):
        client.post(LOGIN_URL, {"username": "exec-user", "password": "wrong"})

    response = api_client.post(TOKEN_URL, {"username": "exec-user", "password": "secret-password"})

    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED, "code": "locked_out", "fields": {}}


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(axes_on, api_client, team_lead):
    for number in range(5):
        api_client.post(
            TOKEN_URL, {"username": "lead-user", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{number}"
        )

    response = api_client.post(
        TOKEN_URL, {"username": "lead-user", "password": "secret-password"}, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )

    assert response.status_code == 429


def test_another_username_from_the_same_address_is_not_locked(axes_on, api_client, team_lead, executive):
    for _ in range(5):
        api_client.post(TOKEN_URL, {"username": "lead-user", "password": "wrong"})

    response = api_client.post(TOKEN_URL, {"username": "exec-user", "password": "secret-password"})

    assert response.status_code == 200


def test_a_successful_sign_in_resets_the_failure_count(axes_on, api_client, team_lead):
    for _ in range(4):
        api_client.post(TOKEN_URL, {"username": "lead-user", "password": "wrong"})
    assert api_client.post(TOKEN_URL, {"username": "lead-user", "password": "secret-password"}).status_code == 200

    after = [api_client.post(TOKEN_URL, {"username": "lead-user", "password": "wrong"}) for _ in range(4)]

    assert [response.status_code for response in after] == [400, 400, 400, 400]


def test_the_lockout_is_logged_with_username_address_and_path(axes_on, api_client, team_lead, caplog):
    with caplog.at_level(logging.WARNING, logger="fixloop.security"):
        for _ in range(6):
            api_client.post(TOKEN_URL, {"username": "lead-user", "password": "wrong"})

    lockouts = [record.getMessage() for record in caplog.records if record.name == "fixloop.security"]
    assert lockouts[0] == (
        "sign-in locked out: username='lead-user' ip=127.0.0.1 path=/api/auth/token/ cool_off=0:15:00"
    )
    assert len(lockouts) == 2


# --- DRF throttles ---------------------------------------------------------------------------------------------


def test_token_requests_are_throttled_per_address_with_a_429_naming_the_wait(settings, api_client, team_lead):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"sign_in": "3/minute"}}

    responses = [api_client.post(TOKEN_URL, {"username": "lead-user", "password": "secret-password"}) for _ in range(4)]

    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert responses[3].json() == {
        "detail": "Request was throttled. Expected available in 60 seconds.",
        "code": "throttled",
        "fields": {},
    }
    assert responses[3]["Retry-After"] == "60"


def test_writes_are_throttled_per_user_and_a_throttled_write_stores_nothing(settings, api_client, staff_admin):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "2/minute"}}
    settings.CASES_EMBED_ON_INGEST = False
    api_client.force_authenticate(staff_admin)

    def bulk(number: int):
        case = {
            "external_id": f"throttle-{number}",
            "channel": "twitter",
            "brand": "Parcelly",
            "text": "parcel late",
            "received_at": "2026-11-20T09:30:00Z",
        }
        return api_client.post("/api/cases/bulk/", {"cases": [case]}, format="json")

    writes = [bulk(number) for number in range(3)]
    read = api_client.get("/api/cases/")

    assert [response.status_code for response in writes] == [200, 200, 429]
    assert writes[2].json() == {
        "detail": "Request was throttled. Expected available in 60 seconds.",
        "code": "throttled",
        "fields": {},
    }
    assert sorted(Case.objects.values_list("external_id", flat=True)) == ["throttle-0", "throttle-1"]
    assert read.status_code == 200


def test_default_rates_come_from_the_environment(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"sign_in": "10/minute", "writes": "120/minute"}
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["config.throttling.WriteRateThrottle"]


def test_behind_a_proxy_the_address_is_the_last_forwarded_hop(settings, rf):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    request = rf.post(TOKEN_URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")

    assert client_ip_address(request) == "203.0.113.7"


def test_without_a_proxy_the_address_is_remote_addr_whatever_x_forwarded_for_says(rf):
    request = rf.post(TOKEN_URL, REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6")

    assert client_ip_address(request) == "198.51.100.4"


def test_a_throttle_rate_of_off_turns_that_throttle_off():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "k",
        "API_THROTTLE_WRITES": "off",
        "API_THROTTLE_SIGN_IN": "5/hour",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))",
        ],
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"sign_in": "5/hour", "writes": None}
