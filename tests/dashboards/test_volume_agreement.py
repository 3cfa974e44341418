"""One definition of a theme's volume and trend: the API, the Themes page and issue evidence agree."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services.file_import import case_import_file
from improvement.models import Theme
from improvement.themes.services.curation import theme_move_cases
from improvement.workflow.selectors import theme_evidence

FIRST_DAY = dt.date(2015, 1, 20)
LAST_DAY = dt.date(2015, 2, 28)


def _historical_file(path) -> None:
    """40 days of February 2015 contacts: 3 lost-bag complaints a day, 2 more a day in the last week, 1 other."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "text", "received_at", "channel", "brand"])
        day = FIRST_DAY
        while day <= LAST_DAY:
            bags = 3 + (2 if day > LAST_DAY - dt.timedelta(days=7) else 0)
            for number in range(bags):
                writer.writerow([f"bag-{day}-{number}", "my bag never arrived", f"{day}T10:0{number}:00+00:00",
                                 "twitter", "Skyway"])  # fmt: skip
            writer.writerow([f"other-{day}", "thanks for the upgrade", f"{day}T12:00:00+00:00", "twitter", "Skyway"])
            day += dt.timedelta(days=1)


@pytest.mark.django_db
def test_api_page_and_evidence_give_the_same_volume_for_an_imported_historical_file(
    tmp_path, api_client, client, team_lead, django_capture_on_commit_callbacks
):
    path = tmp_path / "history.csv"
    _historical_file(path)
    with django_capture_on_commit_callbacks(execute=True):
        summary = case_import_file(path=path, file_format="generic", embed=False)
    theme = Theme.objects.create(label="lost bag")
    bag_ids = list(Case.objects.filter(external_id__startswith="bag-").values_list("id", flat=True))
    theme_move_cases(case_ids=bag_ids, to=theme, by=team_lead)
    api_client.force_authenticate(team_lead)
    client.force_login(team_lead)

    api = api_client.get(f"/api/themes/{theme.pk}/").json()
    page = client.get(reverse("dashboards:lead"))
    row = next(row for row in page.context["overview"]["themes"] if row["theme"].pk == theme.pk)
    evidence = theme_evidence(themes=[theme])

    assert summary.created == 40 * 4 + 7 * 2
    assert (api["volume_last_7_days"], api["volume_last_28_days"], api["trend"]) == (35, 98, 0.6667)
    assert (row["recent"], row["volume"], row["trend"]) == (35, 98, 0.6667)
    assert (evidence["window_end"], evidence["volume"], evidence["previous_volume"]) == ("2015-02-28", 98, 36)
