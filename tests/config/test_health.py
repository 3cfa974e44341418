from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")

    expected_broker = "ok" if settings.CELERY_BROKER_URL else "eager"
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": expected_broker}


def test_healthz_answers_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error: OperationalError"}


def test_healthz_needs_no_login_and_refuses_post(client):
    assert client.post("/healthz").status_code == 405
