"""The ingest service: validation per row, one row per (channel, external_id), exact counts."""

from __future__ import annotations

import datetime

import pytest

from cases.models import Case
from cases.services.ingest import RowRejection, case_ingest_many

RECEIVED_AT = "2026-11-20T09:30:00+00:00"


def row(external_id: str, **changes) -> dict:
    return {
        "external_id": external_id,
        "channel": "twitter",
        "brand": "Parcelly",
        "author_handle": "ana",
        "text": f"@Parcelly my parcel {external_id} never arrived https://t.co/x",
        "received_at": RECEIVED_AT,
        **changes,
    }


@pytest.fixture(autouse=True)
def no_embedding(settings):
    settings.CASES_EMBED_ON_INGEST = False


@pytest.mark.django_db
def test_case_ingest_many_stores_rows_with_analysis_text():
    result = case_ingest_many(rows=[row("1"), row("2")])

    assert (result.created, result.duplicates, result.rejected) == (2, 0, [])
    case = Case.objects.get(external_id="1")
    assert case.text == "@Parcelly my parcel 1 never arrived https://t.co/x"
    assert case.analysis_text == "my parcel 1 never arrived"
    assert case.received_at == datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)
    assert sorted(result.created_ids) == sorted(Case.objects.values_list("id", flat=True))


@pytest.mark.django_db
def test_case_ingest_many_counts_a_repeat_inside_the_batch_as_duplicate():
    result = case_ingest_many(rows=[row("1"), row("1", text="a different text"), row("2")])

    assert (result.created, result.duplicates) == (2, 1)
    assert Case.objects.get(external_id="1").text == "@Parcelly my parcel 1 never arrived https://t.co/x"


@pytest.mark.django_db
def test_case_ingest_many_never_changes_a_stored_case():
    case_ingest_many(rows=[row("1")])

    result = case_ingest_many(rows=[row("1", text="rewritten", brand="Other"), row("3")])

    assert (result.created, result.duplicates) == (1, 1)
    stored = Case.objects.get(external_id="1")
    assert (stored.text, stored.brand) == ("@Parcelly my parcel 1 never arrived https://t.co/x", "Parcelly")
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_case_ingest_many_keeps_the_same_id_on_another_channel_apart():
    result = case_ingest_many(rows=[row("1"), row("1", channel="email")])

    assert (result.created, result.duplicates) == (2, 0)


@pytest.mark.django_db
def test_case_ingest_many_rejects_bad_rows_by_index_and_stores_the_good_ones():
    rows = [
        row("good"),
        row("no-text", text=""),
        row("bad-date", received_at="yesterday"),
        row("number-date", received_at=12),
        row("naive-date", received_at="2026-11-20T09:30:00"),
        row("long", text="x" * 10_001),
        row("nul", text="broken\x00text"),
        row("surrogate", text="lone \ud800 surrogate"),
        row("bad-channel", channel="pigeon"),
        "not an object",
    ]

    result = case_ingest_many(rows=rows)

    assert result.created == 1
    assert result.rejected == [
        RowRejection(index=1, reason="text is required"),
        RowRejection(index=2, reason="received_at is not an ISO 8601 date-time: 'yesterday'"),
        RowRejection(index=3, reason="received_at must be an ISO 8601 date-time string, got int"),
        RowRejection(index=4, reason="received_at has no time zone offset (add one, e.g. +00:00 or Z)"),
        RowRejection(index=5, reason="text is 10,001 characters long; the limit is 10,000"),
        RowRejection(
            index=6, reason="text contains a NUL character, a lone surrogate or bytes that are not valid UTF-8"
        ),
        RowRejection(
            index=7, reason="text contains a NUL character, a lone surrogate or bytes that are not valid UTF-8"
        ),
        RowRejection(
            index=8,
            reason="channel 'pigeon' is not one of call, chat, email, facebook, instagram, other, twitter",
        ),
        RowRejection(index=9, reason="a case must be an object, got str"),
    ]
    assert list(Case.objects.values_list("external_id", flat=True)) == ["good"]


@pytest.mark.django_db
def test_case_ingest_many_stores_right_to_left_marks_and_emoji_as_received():
    text = "\u200fطردي لم يصل 😡 \u202eevil"

    result = case_ingest_many(rows=[row("rtl", text=text)])

    assert result.created == 1
    assert Case.objects.get(external_id="rtl").text == text


@pytest.mark.django_db
def test_case_ingest_many_rejects_nul_inside_the_raw_payload():
    result = case_ingest_many(rows=[row("1", raw_payload={"source": {"note": "a\x00b"}})])

    assert result.rejected == [
        RowRejection(
            index=0,
            reason=(
                "raw_payload.source.note contains a NUL character, a lone surrogate or bytes that are not valid UTF-8"
            ),
        ),
    ]


@pytest.mark.django_db
def test_case_ingest_many_rejects_a_raw_payload_nested_deeper_than_64_levels():
    deep: dict = {}
    for _ in range(64):
        deep = {"next": deep}

    result = case_ingest_many(rows=[row("deep", raw_payload=deep), row("ok", raw_payload=deep["next"])])

    assert result.rejected == [
        RowRejection(index=0, reason="raw_payload is nested deeper than 64 levels; the limit is 64"),
    ]
    assert list(Case.objects.values_list("external_id", flat=True)) == ["ok"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "received_at",
    [
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "1969-12-31T23:59:59Z",
        "2101-01-01T00:00:00Z",
        "2100-12-31T23:00:00-01:00",
        datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone(datetime.timedelta(hours=-1))),
    ],
)
def test_case_ingest_many_rejects_a_received_at_outside_1970_to_2100(received_at):
    result = case_ingest_many(rows=[row("far", received_at=received_at)])

    text = received_at if isinstance(received_at, str) else received_at.isoformat()
    text = text.replace("Z", "+00:00")
    assert result.rejected == [
        RowRejection(
            index=0, reason=f"received_at {text} is outside the accepted range 1970-01-01 to 2100-12-31 (UTC)"
        ),
    ]
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_case_ingest_many_stores_the_first_and_last_instants_of_the_range():
    result = case_ingest_many(
        rows=[row("first", received_at="1970-01-01T00:00:00Z"), row("last", received_at="2100-12-31T23:59:59Z")]
    )

    assert result.created == 2
    assert sorted(Case.objects.values_list("received_at", flat=True)) == [
        datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(2100, 12, 31, 23, 59, 59, tzinfo=datetime.UTC),
    ]


@pytest.mark.django_db
def test_case_ingest_many_stores_an_offset_beyond_15_59_as_its_utc_instant():
    result = case_ingest_many(rows=[row("far-east", received_at="2026-11-21T01:30:00+16:00")])

    assert result.created == 1
    assert Case.objects.get().received_at == datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_case_ingest_many_fills_channel_and_brand_defaults():
    result = case_ingest_many(
        rows=[{"external_id": "9", "text": "hello", "received_at": RECEIVED_AT}],
        default_channel="chat",
        default_brand="Parcelly",
    )

    assert result.created == 1
    assert Case.objects.filter(channel="chat", brand="Parcelly", external_id="9").exists()


@pytest.mark.django_db
def test_case_ingest_many_queues_embedding_of_created_cases_after_commit(settings, django_capture_on_commit_callbacks):
    settings.CASES_EMBED_ON_INGEST = True
    case_ingest_many(rows=[row("old")], embed=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_ingest_many(rows=[row("old"), row("new")])

    assert len(callbacks) == 1


@pytest.mark.django_db
def test_case_ingest_many_queues_nothing_when_only_duplicates(settings, django_capture_on_commit_callbacks):
    settings.CASES_EMBED_ON_INGEST = True
    case_ingest_many(rows=[row("old")], embed=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = case_ingest_many(rows=[row("old")])

    assert (result.created, callbacks) == (0, [])


@pytest.mark.django_db
@pytest.mark.slow
def test_case_ingest_many_embeds_the_created_cases_with_the_real_model(settings, django_capture_on_commit_callbacks):
    settings.CASES_EMBED_ON_INGEST = True

    with django_capture_on_commit_callbacks(execute=True):
        case_ingest_many(rows=[row("1"), row("2", text="the courier left my package in the rain")])

    assert Case.objects.filter(embedded_at__isnull=False).count() == 2
