from __future__ import annotations

import csv
import datetime
from collections import Counter

import pytest

from cases.simulation import (
    CONTROL_PROBLEM,
    FIX_DAY,
    FIXED_PROBLEM,
    OUTAGE_PROBLEM,
    PROBLEMS,
    fix_date,
    simulate_contacts,
    simulation_write_csv,
    start_date,
)
from cases.text import analysis_text

END = datetime.date(2026, 11, 25)


@pytest.fixture(scope="module")
def stream():
    return list(simulate_contacts(seed=3, end=END, days=120, total=8000))


def day_of(contact) -> int:
    return (contact.received_at.date() - start_date(end=END)).days


def test_the_same_seed_gives_the_same_stream_with_exact_counts(stream):
    again = list(simulate_contacts(seed=3, end=END, days=120, total=8000))

    assert again == stream
    assert len(stream) == 7811
    assert Counter(contact.channel for contact in stream) == {
        "twitter": 3444,
        "facebook": 1597,
        "chat": 1572,
        "email": 1198,
    }
    assert Counter(contact.problem for contact in stream)[FIXED_PROBLEM] == 649
    assert stream[0].external_id == "sim-3-0000001"
    assert stream[0].received_at == datetime.datetime(2026, 7, 29, 0, 42, 59, tzinfo=datetime.UTC)


def test_another_seed_gives_another_stream(stream):
    other = list(simulate_contacts(seed=4, end=END, days=14, total=300))

    assert [contact.text for contact in other[:20]] != [contact.text for contact in stream[:20]]


def test_stream_covers_the_days_in_time_order_with_15_problems_and_three_brands(stream):
    assert stream[0].received_at.date() == datetime.date(2026, 7, 29)
    assert stream[-1].received_at.date() == END
    assert [contact.received_at for contact in stream] == sorted(contact.received_at for contact in stream)
    assert len({contact.external_id for contact in stream}) == len(stream)
    assert len(PROBLEMS) == 15
    assert {contact.problem for contact in stream} == {problem.key for problem in PROBLEMS}
    assert {contact.brand for contact in stream} == {"Larkspur", "Larkspur Delivery", "Larkspur Pay"}
    assert {problem.department for problem in PROBLEMS} == {
        "Logistics",
        "Billing",
        "Digital",
        "Stores",
        "Customer Care",
    }


def test_fixed_problem_falls_by_about_half_from_its_known_date_while_the_control_keeps_its_share(stream):
    def per_day(key: str, after: bool) -> float:
        days = [day_of(contact) for contact in stream if contact.problem == key]
        matching = [day for day in days if (day >= FIX_DAY) == after]
        return len(matching) / (120 - FIX_DAY if after else FIX_DAY)

    fixed_ratio = per_day(FIXED_PROBLEM, after=True) / per_day(FIXED_PROBLEM, after=False)
    control_ratio = per_day(CONTROL_PROBLEM, after=True) / per_day(CONTROL_PROBLEM, after=False)

    assert fix_date(end=END) == datetime.date(2026, 10, 17)
    assert (per_day(FIXED_PROBLEM, after=False), per_day(FIXED_PROBLEM, after=True)) == (501 / 80, 148 / 40)
    assert (per_day(CONTROL_PROBLEM, after=False), per_day(CONTROL_PROBLEM, after=True)) == (408 / 80, 252 / 40)
    assert fixed_ratio / control_ratio == pytest.approx(0.48, abs=0.01)


def test_weekday_rhythm_mondays_busiest_sundays_quietest(stream):
    by_weekday = Counter(contact.received_at.weekday() for contact in stream)

    assert [by_weekday[weekday] for weekday in range(7)] == [1360, 1340, 1196, 1111, 1031, 938, 835]


def test_outage_bursts_on_its_days(stream):
    outage_by_day = Counter(day_of(contact) for contact in stream if contact.problem == OUTAGE_PROBLEM)

    assert [outage_by_day[day] for day in range(43, 49)] == [1, 1, 21, 7, 2, 1]


def test_texts_carry_the_mess_that_cleaning_must_remove(stream):
    texts = [contact.text for contact in stream]

    assert all("@Larkspur" in contact.text for contact in stream if contact.channel == "twitter")
    assert any("https://t.co/" in text for text in texts)
    assert any("https://www.larkspur.com/" in text for text in texts)
    assert any("😡" in text for text in texts)
    assert any(text.startswith("Hello,\n\n") for text in texts)
    cleaned = [analysis_text(contact.text, brand_names=[contact.brand]) for contact in stream]
    assert not any("@" in text or "http" in text for text in cleaned)


def test_csv_export_writes_generic_columns_and_one_row_per_contact(tmp_path):
    path = tmp_path / "stream.csv"

    written = simulation_write_csv(path=path, seed=3, end=END, days=14, total=300)

    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert written == len(rows) == len(list(simulate_contacts(seed=3, end=END, days=14, total=300)))
    assert list(rows[0]) == ["external_id", "text", "received_at", "channel", "brand", "author_handle", "problem"]
    assert datetime.datetime.fromisoformat(rows[0]["received_at"]).tzinfo is not None
