"""The import page in a real browser: a lead uploads a file, the page polls the import and shows its summary."""

from __future__ import annotations

import os

import pytest

from cases.models import Case, CaseImport
from cases.services.upload_import import case_import_run
from improvement.demo.seeding import demo_seed_people
from tests.dashboards.test_browser import (  # noqa: F401  (fixtures: chromium's launch and context arguments)
    browser_context_args,
    browser_type_launch_args,
    log_in,
    screenshot,
    submit,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = (
    "external_id,text,received_at,channel,brand\n"
    "g1,my parcel never arrived,2026-11-20T09:30:00Z,chat,Parcelly\n"
    "b1,,2026-11-20T09:31:00Z,chat,Parcelly\n"
    "g2,app logs me out,2026-11-20T09:32:00Z,chat,Parcelly\n"
)


@pytest.fixture
def people(transactional_db, settings):
    settings.CASES_EMBED_ON_INGEST = False
    return demo_seed_people()


def test_lead_uploads_a_file_from_the_navigation_and_reads_the_summary(page, live_server, people, tmp_path):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    path = tmp_path / "contacts.csv"
    path.write_text(CONTENT, encoding="utf-8")
    log_in(page, live_server, "lead")

    submit(page, "nav >> text=Import")
    page.set_input_files("#id_file", str(path))
    page.select_option("#id_file_format", "generic")
    submit(page, "#case-import-form button[type=submit]")

    assert page.locator("#case-import-status").inner_text() == "Imported"
    assert page.locator("#case-import-rows").inner_text() == "3 / 3 rows"
    assert page.locator("#summary-created").inner_text() == "2"
    assert page.locator("#case-import-rejections tbody").inner_text() == "3\ttext is required"
    with page.expect_download() as download_info:
        page.click("#rejections-download")
    assert download_info.value.path().read_bytes() == b"line,reason\r\n3,text is required\r\n"
    screenshot(page, "import-summary")
    assert sorted(Case.objects.values_list("external_id", flat=True)) == ["g1", "g2"]
    assert errors == []


def test_the_page_polls_a_queued_import_and_shows_the_summary_when_it_ends(page, live_server, people):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    case_import = CaseImport.objects.create(
        file_name="later.csv", file_format="generic", content=CONTENT.encode(), size_bytes=len(CONTENT)
    )
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/import/{case_import.pk}/")
    assert page.locator("#case-import-status").inner_text() == "Queued"
    assert page.locator("#case-import-rows").inner_text() == "0 / ? rows"

    with page.expect_navigation(timeout=15_000):
        case_import_run(import_id=case_import.pk)

    page.wait_for_selector("#case-import-summary")
    assert page.locator("#case-import-status").inner_text() == "Imported"
    assert page.locator("#case-import-rows").inner_text() == "3 / 3 rows"
    assert errors == []
