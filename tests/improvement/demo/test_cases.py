from __future__ import annotations

import datetime
import re
from io import StringIO

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cases.embedding import EMBEDDING_DIMENSION, embedding_from_bytes
from cases.models import Case
from cases.simulation import simulate_contacts
from improvement.demo.seeding import demo_load_cases

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

END = datetime.date(2026, 11, 25)


def test_demo_load_cases_ingests_and_embeds_the_simulated_stream():
    expected = list(simulate_contacts(total=150, days=14, end=END))

    result = demo_load_cases(total=150, days=14, end=END)

    assert (result.source, result.created, result.duplicates, result.rejected) == (
        "simulated stream",
        len(expected),
        0,
        0,
    )
    assert result.embedded == len(expected) == Case.objects.count()
    assert Case.objects.filter(embedded_at__isnull=True).count() == 0
    first = Case.objects.get(external_id=expected[0].external_id)
    assert first.raw_payload == {"simulated": True, "problem": expected[0].problem}
    assert "@" not in first.analysis_text
    assert embedding_from_bytes(first.embedding).shape == (EMBEDDING_DIMENSION,)
    assert float(np.linalg.norm(embedding_from_bytes(first.embedding))) == pytest.approx(1.0, abs=1e-5)


def test_demo_load_cases_a_second_time_creates_and_embeds_nothing():
    demo_load_cases(total=60, days=7, end=END)

    again = demo_load_cases(total=60, days=7, end=END)

    assert (again.created, again.embedded) == (0, 0)
    assert again.duplicates == Case.objects.count()


def test_demo_command_loads_a_given_twcs_file_and_embeds_its_cases(shared_data):
    output = StringIO()

    call_command(
        "demo", "--cases-file", str(shared_data / "twcs_sample.csv"), "--format", "twcs", verbosity=0, stdout=output
    )

    assert Case.objects.count() == 49
    assert Case.objects.filter(embedded_at__isnull=True).count() == 0
    assert f"Cases from the {shared_data / 'twcs_sample.csv'}: 49 created, 0 duplicates, 0 rejected; 49 embedded" in (
        output.getvalue()
    )
    # The last lines sum the demo up: what the database now holds, then the logins.
    assert re.search(r"^Demo seeded in \d+s: 49 cases, 8 users, \d+ themes, \d+ issues\.$", output.getvalue(), re.M)
    assert get_user_model().objects.filter(username="lead").exists()


def test_demo_command_with_a_missing_file_fails_and_leaves_the_database_empty(tmp_path):
    with pytest.raises(CommandError, match="is not a readable file"):
        call_command("demo", "--cases-file", str(tmp_path / "missing.csv"), verbosity=0)

    assert not get_user_model().objects.exists()


def test_demo_command_with_a_file_missing_columns_fails_and_leaves_the_database_empty(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,body\n1,hello\n")

    with pytest.raises(CommandError, match="bad.csv"):
        call_command("demo", "--cases-file", str(path), "--format", "generic", verbosity=0)

    assert not get_user_model().objects.exists()
    assert not Case.objects.exists()


BROKEN_FILE = (
    "external_id,text,received_at,channel,brand\n"
    "g1,parcel late,2026-11-20T09:30:00Z,chat,Parcelly\n"
    'b1,"unclosed quote,2026-11-20T09:30:00Z,chat,Parcelly\n'
    'g2,"refund, please",2026-11-20T09:31:00Z,chat,Parcelly\n'
    "g3,parcel lost,yesterday,chat,Parcelly\n"
)
BROKEN_FILE_REPORT = [
    "rows in the file: 4 (read: 3; unreadable: 1); created: 2; duplicates: 0; rejected: 1",
    "  line 3: broken CSV quoting: a quoted field opened on this line breaks on line 4: ',' expected after '\"'; "
    "the lines after this one are read again as rows",
    "  line 5: received_at is not an ISO 8601 date-time: 'yesterday'",
]


def test_demo_load_cases_reports_a_file_in_the_words_of_import_cases(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(BROKEN_FILE, encoding="utf-8")

    result = demo_load_cases(cases_file=path, file_format="generic")

    assert result.file_report == BROKEN_FILE_REPORT
    assert (result.created, result.rejected) == (2, 2)


def test_import_cases_reports_the_same_file_in_the_same_words(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(BROKEN_FILE, encoding="utf-8")
    output = StringIO()

    call_command("import_cases", str(path), "--no-embed", verbosity=0, stdout=output)

    assert output.getvalue().splitlines() == BROKEN_FILE_REPORT
