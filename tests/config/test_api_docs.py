"""Swagger UI and ReDoc: for signed-in users, from local files only, with no inline script."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script(?P<attributes>[^>]*)>(?P<body>.*?)</script>", re.S)


def scripts(html: str) -> list[tuple[str, str]]:
    return [(match["attributes"], match["body"].strip()) for match in SCRIPT_TAG.finditer(html)]


def test_swagger_ui_loads_local_files_and_its_start_up_script_as_a_file(client, team_lead):
    client.force_login(team_lead)

    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert [body for _, body in scripts(html)] == ["", "", ""]
    assert [attributes for attributes, _ in scripts(html)] == [
        ' src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"',
        ' src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js"',
        ' src="/api/docs/?script="',
    ]
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert '"/api/schema/"' in script.content.decode()


def test_redoc_loads_local_files_without_web_fonts_or_inline_script(client, team_lead):
    client.force_login(team_lead)

    response = client.get("/api/redoc/")

    html = response.content.decode()
    assert response.status_code == 200
    assert scripts(html) == [(' src="/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"', "")]
    assert '<redoc spec-url="/api/schema/"></redoc>' in html
    assert "fonts.googleapis.com" not in html


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_a_visitor_not_signed_in_is_sent_to_log_in_first(client, path):
    response = client.get(path)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")


def test_the_navigation_links_the_api_docs(client, department_owner):
    client.force_login(department_owner)

    html = client.get("/dashboards/queue/").content.decode()

    assert '<a href="/api/docs/">API docs</a>' in html


def test_only_redoc_may_start_its_blob_worker_and_no_page_loads_images_from_elsewhere(client, team_lead):
    client.force_login(team_lead)

    redoc_policy = client.get("/api/redoc/")["Content-Security-Policy"]
    swagger_policy = client.get("/api/docs/")["Content-Security-Policy"]

    assert "worker-src 'self' blob:" in redoc_policy.split("; ")
    assert "img-src 'self' data: blob:" in redoc_policy.split("; ")
    assert "worker-src" not in swagger_policy
    assert "img-src 'self' data: blob:" in swagger_policy.split("; ")
