"""Admin pages of cases."""

from __future__ import annotations

import datetime

from cases.models import Case


def test_admin_lists_searches_and_shows_a_case_read_only(client, staff_admin):
    case = Case.objects.create(
        channel="twitter",
        external_id="570306133677760513",
        brand="Virgin America",
        text="What @dhepburn said.",
        received_at=datetime.datetime(2015, 2, 24, 19, 35, 52, tzinfo=datetime.UTC),
        raw_payload={"airline": "x"},
    )
    client.force_login(staff_admin)

    listing = client.get("/admin/cases/case/", {"q": "dhepburn", "channel__exact": "twitter"})
    change = client.get(f"/admin/cases/case/{case.pk}/change/")

    assert listing.status_code == 200
    assert "570306133677760513" in listing.content.decode()
    assert change.status_code == 200
    assert 'name="text"' not in change.content.decode()
