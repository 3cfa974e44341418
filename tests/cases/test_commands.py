"""`import_cases` on the real shared data sets and on small broken files."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case
from cases.services.file_import import case_import_file

GENERIC_HEADER = "external_id,text,received_at,channel,brand,author_handle,reply_to\n"


@pytest.fixture(autouse=True)
def no_embedding(settings):
    settings.CASES_EMBED_ON_INGEST = False


def run_import(path: Path, *arguments: str) -> str:
    output = StringIO()
    call_command("import_cases", str(path), *arguments, "--verbosity", "0", stdout=output)
    return output.getvalue()


@pytest.mark.django_db
@pytest.mark.slow
def test_import_airline_stores_each_tweet_once_and_a_second_import_stores_none(shared_data):
    path = shared_data / "airline_tweets.csv"

    first = run_import(path, "--format", "airline")
    second = run_import(path, "--format", "airline")

    assert (
        first
        == "rows in the file: 14,640 (read: 14,640; unreadable: 0); created: 14,485; duplicates: 155; rejected: 0\n"
    )
    assert (
        second
        == "rows in the file: 14,640 (read: 14,640; unreadable: 0); created: 0; duplicates: 14,640; rejected: 0\n"
    )
    assert Case.objects.count() == 14_485


@pytest.mark.django_db
@pytest.mark.slow
def test_import_airline_maps_the_columns(shared_data):
    run_import(shared_data / "airline_tweets.csv", "--format", "airline")

    case = Case.objects.get(channel="twitter", external_id="570306133677760513")
    assert (case.brand, case.author_handle, case.text) == (
        "Virgin America",
        "cairdin",
        "@VirginAmerica What @dhepburn said.",
    )
    assert case.received_at == datetime.datetime(2015, 2, 24, 19, 35, 52, tzinfo=datetime.UTC)
    assert case.analysis_text == "What said."
    assert case.raw_payload["airline_sentiment"] == "neutral"
    assert len(case.raw_payload) == 15


def test_import_of_one_good_and_three_bad_rows_adds_one_case_and_reports_three_lines(db, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(
        GENERIC_HEADER
        + "g1,my parcel never arrived,2026-11-20T09:30:00Z,chat,Parcelly,ana,\n"
        + "b1,,2026-11-20T09:31:00Z,chat,Parcelly,bo,\n"
        + "b2,wrong date,20/11/2026,chat,Parcelly,cy,\n"
        + f'b3,"{"x" * 10_001}",2026-11-20T09:32:00Z,chat,Parcelly,di,\n',
        encoding="utf-8",
    )

    output = run_import(path, "--format", "generic")

    assert output == (
        "rows in the file: 4 (read: 4; unreadable: 0); created: 1; duplicates: 0; rejected: 3\n"
        "  line 3: text is required\n"
        "  line 4: received_at is not an ISO 8601 date-time: '20/11/2026'\n"
        "  line 5: text is 10,001 characters long; the limit is 10,000\n"
    )
    assert list(Case.objects.values_list("external_id", flat=True)) == ["g1"]


def test_import_rejects_a_csv_row_dated_outside_1970_to_2100_and_keeps_the_rest(db, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(
        GENERIC_HEADER
        + "g1,my parcel never arrived,2026-11-20T09:30:00Z,chat,Parcelly,ana,\n"
        + "far,from the far future,9999-12-31T23:59:59-01:00,chat,Parcelly,bo,\n"
        + "old,from the distant past,0001-01-01T00:00:00+01:00,chat,Parcelly,cy,\n",
        encoding="utf-8",
    )

    output = run_import(path, "--format", "generic")

    outside = "is outside the accepted range 1970-01-01 to 2100-12-31 (UTC)"
    assert output == (
        "rows in the file: 3 (read: 3; unreadable: 0); created: 1; duplicates: 0; rejected: 2\n"
        f"  line 3: received_at 9999-12-31T23:59:59-01:00 {outside}\n"
        f"  line 4: received_at 0001-01-01T00:00:00+01:00 {outside}\n"
    )
    assert list(Case.objects.values_list("external_id", flat=True)) == ["g1"]


def test_import_reports_broken_quoting_by_line_and_keeps_the_rest(db, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(
        GENERIC_HEADER.encode()
        + b'q1,"broken "quote" here,2026-11-20T09:30:00Z,chat,Parcelly,ana,\n'
        + b'g1,"a tweet\nover two lines",2026-11-20T09:30:00Z,chat,Parcelly,ana,\n'
        + b"short,row\n"
        + "g2,\u200fRTL mark and emoji 😡,2026-11-20T09:30:00Z,chat,Parcelly,ana,\n".encode()
    )

    output = run_import(path, "--format", "generic")

    assert output == (
        "rows in the file: 4 (read: 2; unreadable: 2); created: 2; duplicates: 0; rejected: 0\n"
        "  line 2: broken CSV quoting: ',' expected after '\"'\n"
        "  line 5: expected 7 columns, found 2\n"
    )
    assert sorted(Case.objects.values_list("external_id", flat=True)) == ["g1", "g2"]
    assert Case.objects.get(external_id="g1").text == "a tweet\nover two lines"


def test_import_refuses_a_cp1252_file_naming_offset_line_and_encoding_and_reads_it_when_declared(db, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(GENERIC_HEADER.encode() + b"u1,caf\xe9 latte,2026-11-20T09:30:00Z,chat,Parcelly,ana,\n")

    with pytest.raises(CommandError) as refused:
        run_import(path, "--format", "generic")
    output = run_import(path, "--format", "generic", "--encoding", "cp1252")

    assert str(refused.value) == (
        f"{path}: the file is not valid utf-8: byte 0xE9 at offset 72 (line 2) cannot be decoded; it reads as "
        "Windows-1252 (cp1252) 'u1,café latte,2026-11-20T09:30:00Z,c': if that is the file's encoding, import it "
        "declaring that encoding (--encoding cp1252), or save the file as UTF-8"
    )
    assert output == "rows in the file: 1 (read: 1; unreadable: 0); created: 1; duplicates: 0; rejected: 0\n"
    assert Case.objects.get().text == "café latte"


def test_import_generic_reads_renamed_columns_and_defaults(db, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("id,body,created\n7,where is my refund,2026-11-20T09:30:00+01:00\n", encoding="utf-8")

    output = run_import(
        path,
        "--format",
        "generic",
        "--map",
        "external_id=id,text=body",
        "--map",
        "received_at=created",
        "--brand",
        "Parcelly",
        "--channel",
        "email",
    )

    assert output == "rows in the file: 1 (read: 1; unreadable: 0); created: 1; duplicates: 0; rejected: 0\n"
    case = Case.objects.get()
    assert (case.channel, case.external_id, case.brand, case.text) == ("email", "7", "Parcelly", "where is my refund")


def test_import_refuses_a_file_without_the_needed_columns(db, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"the header lacks external_id \(column 'external_id'\)"):
        run_import(path, "--format", "generic")


def test_import_leaves_stored_cases_unchanged_by_a_bad_file(db, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(GENERIC_HEADER + "g1,original text,2026-11-20T09:30:00Z,chat,Parcelly,ana,\n", encoding="utf-8")
    run_import(good, "--format", "generic")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        GENERIC_HEADER.encode()
        + b"g1,changed text,2026-11-21T09:30:00Z,chat,Other,bo,\n"
        + b"g1,\x00nul,2026-11-21T09:30:00Z,chat,Other,bo,\n"
    )

    output = run_import(bad, "--format", "generic")

    assert output.startswith("rows in the file: 2 (read: 2; unreadable: 0); created: 0; duplicates: 1; rejected: 1\n")
    case = Case.objects.get()
    assert (case.text, case.brand) == ("original text", "Parcelly")


def test_import_twcs_sample_keeps_inbound_tweets_with_the_brand_that_answered(db, shared_data):
    output = run_import(shared_data / "twcs_sample.csv", "--format", "twcs")

    assert output == (
        "rows in the file: 93 (read: 93; unreadable: 0); created: 49; duplicates: 0; rejected: 0; "
        "skipped (not inbound): 44\n"
    )
    assert Case.objects.count() == 49
    assert Case.objects.get(external_id="119237").brand == "AppleSupport"
    # Mentions another customer, but ChaseSupport answered it (response_tweet_id 119238).
    assert Case.objects.get(external_id="119239").brand == "ChaseSupport"
    assert not Case.objects.filter(author_handle="ChaseSupport").exists()


def test_import_twcs_head_resolves_brands_through_the_reply_chain(db, shared_data):
    output = run_import(shared_data / "twcs_head5000.csv", "--format", "twcs", "--show-rejections", "2")

    assert output == (
        "rows in the file: 5,000 (read: 5,000; unreadable: 0); created: 2,768; duplicates: 0; rejected: 10; "
        "skipped (not inbound): 2,222\n"
        "  line 2273: brand unknown: no brand tweet in its reply chain and no @mention of a brand (--brand sets one)\n"
        "  line 2274: brand unknown: no brand tweet in its reply chain and no @mention of a brand (--brand sets one)\n"
        "  ... and 8 more\n"
    )
    # Answered by sprintcare (response_tweet_id 1, seen before it in the file).
    assert Case.objects.get(external_id="3").brand == "sprintcare"
    # Its response 25 comes later in the file: it waits for it.
    assert Case.objects.get(external_id="22").brand == "Ask_Spectrum"
    # Customer-to-customer thread: the brand comes from the conversation (42 answered by VerizonSupport's 40).
    assert Case.objects.get(external_id="46").brand == "VerizonSupport"
    assert Case.objects.get(external_id="3").reply_to_external_id == "4"


def test_case_import_file_streams_in_batches_with_progress(db, shared_data):
    positions: list[int] = []

    summary = case_import_file(
        path=shared_data / "twcs_sample.csv",
        file_format="twcs",
        batch_size=10,
        on_progress=positions.append,
    )

    assert summary.created == 49
    assert len(positions) == 5
    assert positions[-1] == (shared_data / "twcs_sample.csv").stat().st_size
