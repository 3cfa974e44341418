"""The CSV reader behind `case_import_file`: every row accounted for, encodings named, malformed files harmless."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest

from cases.models import Case
from cases.services.file_import import ImportFileError, ImportSummary, case_import_file
from cases.services.ingest import case_ingest_many

pytestmark = pytest.mark.django_db

HEADER = "external_id,text,received_at,channel,brand,author_handle,reply_to\n"
RECEIVED_AT = "2026-11-20T09:30:00Z"


@pytest.fixture(autouse=True)
def no_embedding(settings):
    settings.CASES_EMBED_ON_INGEST = False


def good_row(external_id: str, text: str | None = None) -> str:
    return f"{external_id},{text or 'parcel ' + external_id + ' is late'},{RECEIVED_AT},chat,Parcelly,ana,\n"


def import_bytes(tmp_path: Path, content: bytes, **options) -> ImportSummary:
    path = tmp_path / "cases.csv"
    path.write_bytes(content)
    return case_import_file(path=path, file_format="generic", **options)


def counts(summary: ImportSummary) -> dict[str, int]:
    return {
        "rows_in_file": summary.rows_in_file,
        "read": summary.rows_read,
        "unreadable": summary.unreadable,
        "created": summary.created,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
    }


def test_unclosed_quote_on_line_3_before_10000_good_rows_loses_none_of_them(tmp_path):
    rows = [good_row(f"g{number}") for number in range(1, 10_001)]
    content = HEADER + good_row("g0") + f'b1,"unclosed quote,{RECEIVED_AT},chat,Parcelly,ana,\n' + "".join(rows)

    summary = import_bytes(tmp_path, content.encode())

    assert counts(summary) == {
        "rows_in_file": 10_002,
        "read": 10_001,
        "unreadable": 1,
        "created": 10_001,
        "duplicates": 0,
        "rejected": 0,
    }
    assert summary.first_rejections == [
        (
            3,
            "the row is longer than the limit of 131,072 bytes and its quotes never close (an unclosed quote?); "
            "the lines after this one are read again as rows",
        )
    ]
    assert Case.objects.count() == 10_001
    assert not Case.objects.filter(external_id="b1").exists()


def test_unclosed_quote_broken_by_a_later_quoted_field_is_reported_and_the_lines_after_it_read_again(tmp_path):
    rows = [good_row(f"g{number}", f'"parcel {number}, late"') for number in range(1, 10_001)]
    content = HEADER + good_row("g0") + f'b1,"unclosed quote,{RECEIVED_AT},chat,Parcelly,ana,\n' + "".join(rows)

    summary = import_bytes(tmp_path, content.encode())

    assert counts(summary)["rows_in_file"] == 10_002
    assert (summary.unreadable, summary.created) == (1, 10_001)
    assert summary.first_rejections == [
        (
            3,
            "broken CSV quoting: a quoted field opened on this line breaks on line 4: ',' expected after '\"'; "
            "the lines after this one are read again as rows",
        )
    ]
    assert Case.objects.get(external_id="g1").text == "parcel 1, late"


def test_a_1mb_quoted_field_with_newlines_is_one_rejection_at_its_line_and_the_rows_after_it_are_stored(tmp_path):
    huge_field = ("x" * 99 + "\n") * 10_000 + "end"
    rows = [good_row(f"g{number}") for number in range(1, 101)]
    content = HEADER + good_row("g0") + f'h1,"{huge_field}",{RECEIVED_AT},chat,Parcelly,ana,\n' + "".join(rows)

    summary = import_bytes(tmp_path, content.encode())

    assert counts(summary) == {
        "rows_in_file": 102,
        "read": 101,
        "unreadable": 1,
        "created": 101,
        "duplicates": 0,
        "rejected": 0,
    }
    assert summary.first_rejections == [
        (3, "the row is longer than the limit of 131,072 bytes (lines 3-10003, skipped whole)")
    ]
    assert Case.objects.filter(external_id__startswith="g").count() == 101


def test_a_1mb_line_is_one_rejection_and_the_next_line_is_read(tmp_path):
    content = HEADER + good_row("h1", "y" * 1_000_000) + good_row("g1")

    summary = import_bytes(tmp_path, content.encode())

    assert (summary.rows_in_file, summary.unreadable, summary.created) == (2, 1, 1)
    assert summary.first_rejections == [
        (2, "the row is longer than the limit of 131,072 bytes (one line, skipped whole)")
    ]


def test_a_quoted_field_spanning_lines_with_an_extra_column_is_rejected_and_its_lines_read_again(tmp_path):
    content = (
        HEADER
        + good_row("g0")
        + f'b1,"oops,{RECEIVED_AT},chat,Parcelly,ana,\n'
        + f'b2",x,{RECEIVED_AT},chat,Parcelly,ana,\n'
        + good_row("g5")
    )

    summary = import_bytes(tmp_path, content.encode())

    assert counts(summary) == {
        "rows_in_file": 4,
        "read": 3,
        "unreadable": 1,
        "created": 3,
        "duplicates": 0,
        "rejected": 0,
    }
    assert summary.first_rejections == [
        (3, "expected 7 columns, found 8; the lines after this one are read again as rows"),
    ]
    # Line 4 read on its own is a well-formed row (a quote inside an unquoted field is a plain character).
    assert Case.objects.get(external_id='b2"').text == "x"


def test_every_count_adds_up_on_a_file_with_every_kind_of_bad_row(tmp_path):
    content = (
        HEADER
        + good_row("g1")
        + good_row("g1")
        + "\n"
        + "short,row\n"
        + good_row("d1").replace(RECEIVED_AT, "yesterday")
        + 'q1,"broken "quote" here,x,chat,Parcelly,ana,\n'
        + good_row("g2")
    )

    summary = import_bytes(tmp_path, content.encode())

    assert counts(summary) == {
        "rows_in_file": 6,
        "read": 4,
        "unreadable": 2,
        "created": 2,
        "duplicates": 1,
        "rejected": 1,
    }
    assert summary.created + summary.duplicates + summary.rejected + summary.skipped == summary.rows_read
    assert [line for line, _ in summary.first_rejections] == [5, 7, 6]


@pytest.mark.parametrize(
    ("bom", "codec", "label"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 (little-endian)"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 (big-endian)"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 (little-endian)"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 (big-endian)"),
    ],
)
def test_a_utf16_or_utf32_file_is_refused_naming_its_encoding(tmp_path, bom, codec, label):
    with pytest.raises(ImportFileError) as refused:
        import_bytes(tmp_path, bom + (HEADER + good_row("g1")).encode(codec))

    assert str(refused.value) == (
        f"the file is {label}, by its byte order mark; the import reads UTF-8: save it as 'CSV UTF-8' "
        f"or convert it (iconv -f {label.split()[0]} -t UTF-8)"
    )
    assert not Case.objects.exists()


def test_a_utf16_file_without_byte_order_mark_is_refused_for_its_nul_bytes(tmp_path):
    with pytest.raises(ImportFileError, match=r"looks like UTF-16 or UTF-32 without a byte order mark"):
        import_bytes(tmp_path, (HEADER + good_row("g1")).encode("utf-16-le"))


def test_a_utf8_byte_order_mark_is_skipped(tmp_path):
    summary = import_bytes(tmp_path, codecs.BOM_UTF8 + (HEADER + good_row("g1")).encode())

    assert summary.created == 1
    assert Case.objects.get().external_id == "g1"


def test_a_latin1_file_is_read_when_its_encoding_is_declared(tmp_path):
    summary = import_bytes(
        tmp_path, (HEADER + good_row("g1", "Ça ne marche pas")).encode("latin-1"), encoding="latin-1"
    )

    assert summary.created == 1
    assert Case.objects.get().text == "Ça ne marche pas"


def test_binary_junk_is_refused_naming_offset_line_and_binary_data(tmp_path):
    with pytest.raises(ImportFileError) as refused:
        import_bytes(tmp_path, HEADER.encode() + b"g1,\x01\x02\xff\xfe junk\n")

    assert str(refused.value) == (
        "the file is not valid utf-8: byte 0xFF at offset 71 (line 2) cannot be decoded; "
        "it looks like binary data, not text"
    )


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("klingon", "unknown encoding 'klingon'"),
        ("utf-16", "encoding 'utf-16' is not supported"),
    ],
)
def test_an_unknown_or_wide_declared_encoding_is_refused(tmp_path, encoding, message):
    with pytest.raises(ImportFileError, match=message):
        import_bytes(tmp_path, (HEADER + good_row("g1")).encode(), encoding=encoding)


def test_a_duplicate_header_is_refused_naming_the_column(tmp_path):
    with pytest.raises(ImportFileError) as refused:
        import_bytes(tmp_path, b"external_id,text,received_at,text\ng1,first,2026-11-20T09:30:00Z,second\n")

    assert str(refused.value) == (
        "the header names column 'text' twice (columns 2 and 4); rename or remove one, so no values are silently "
        "dropped"
    )
    assert not Case.objects.exists()


STORED_TEXT = {"g1": "original one", "g2": "original two", "g3": "original three"}


def changed_rows() -> str:
    return "".join(good_row(external_id, "changed text") for external_id in STORED_TEXT)


MALFORMED_FILES: dict[str, bytes] = {
    "empty": b"",
    "only blank lines": b"\n\n\r\n\n",
    "header only": HEADER.encode(),
    "header only, no newline": HEADER.rstrip("\n").encode(),
    "truncated header": b"external_id,te",
    "truncated inside a quoted field": (HEADER + changed_rows() + 'g4,"trunc').encode(),
    "too few columns": (HEADER + "g1,changed\ng2\n").encode(),
    "too many columns": (HEADER + changed_rows().replace("ana,", "ana,extra,")).encode(),
    "bad dates": (HEADER + changed_rows().replace(RECEIVED_AT, "20/11/2026")).encode(),
    "binary junk": random.Random(16).randbytes(4_000),
    "binary junk after the header": HEADER.encode() + random.Random(17).randbytes(4_000),
    "utf-8 byte order mark, changed rows": codecs.BOM_UTF8 + (HEADER + changed_rows()).encode(),
    "only a byte order mark": codecs.BOM_UTF8,
    "utf-16 byte order mark": codecs.BOM_UTF16_LE + (HEADER + changed_rows()).encode("utf-16-le"),
    "utf-32 byte order mark": codecs.BOM_UTF32_BE + (HEADER + changed_rows()).encode("utf-32-be"),
    "NUL inside a field": (HEADER + changed_rows().replace("changed", "ch\x00nged")).encode(),
    "only NUL bytes": b"\x00" * 500,
    "very long line": (HEADER + good_row("g1", "z" * 2_000_000)).encode(),
    "1 MB quoted field with newlines": (
        HEADER + f'g1,"{("w" * 99 + chr(10)) * 10_000}",{RECEIVED_AT},c,b,a,\n'
    ).encode(),
    "unclosed quote": (HEADER + f'g1,"changed,{RECEIVED_AT},chat,Parcelly,ana,\n' + changed_rows()).encode(),
    "duplicate header": (HEADER.replace("reply_to", "text") + changed_rows()).encode(),
    "missing required column": (HEADER.replace("received_at", "created") + changed_rows()).encode(),
    "cp1252 bytes": (HEADER + changed_rows().replace("changed", "chang\xe9d")).encode("cp1252"),
    "encoded surrogate": (HEADER + "g1,").encode() + b"\xed\xa0\x80" + f",{RECEIVED_AT},chat,Parcelly,ana,\n".encode(),
    "semicolon separated": (HEADER + changed_rows()).replace(",", ";").encode(),
    "mixed line endings": (HEADER + changed_rows()).replace("\n", "\r", 2).replace("\n", "\r\n").encode(),
    "text over the limit and blank text": (
        HEADER + good_row("g1", "v" * 10_001) + good_row("g2", " ") + good_row("g3", '""')
    ).encode(),
}


@pytest.fixture
def stored_cases() -> list[dict]:
    rows = [
        {
            "external_id": external_id,
            "text": text,
            "received_at": "2026-11-01T08:00:00Z",
            "channel": "chat",
            "brand": "Parcelly",
        }
        for external_id, text in STORED_TEXT.items()
    ]
    assert case_ingest_many(rows=rows).created == 3
    return list(Case.objects.order_by("id").values())


# What each malformed file gives over the three stored cases: the start of the refusal, or
# (rows in the file, unreadable, created, duplicates, rejected).
MALFORMED_OUTCOMES: dict[str, str | tuple[int, int, int, int, int]] = {
    "empty": "the file is empty: expected a header row",
    "only blank lines": "the file is empty: expected a header row",
    "header only": (0, 0, 0, 0, 0),
    "header only, no newline": (0, 0, 0, 0, 0),
    "truncated header": "the header lacks text (column 'text'), received_at (column 'received_at')",
    "truncated inside a quoted field": (4, 1, 0, 3, 0),
    "too few columns": (2, 2, 0, 0, 0),
    "too many columns": (3, 3, 0, 0, 0),
    "bad dates": (3, 0, 0, 0, 3),
    "binary junk": (
        "the file is not valid utf-8: byte 0xAB at offset 0 (line 1) cannot be decoded; it looks like binary data"
    ),
    "binary junk after the header": "the file is not valid utf-8: byte 0xC1 at offset 66 (line 2) cannot be decoded",
    "utf-8 byte order mark, changed rows": (3, 0, 0, 3, 0),
    "only a byte order mark": "the file is empty: expected a header row",
    "utf-16 byte order mark": "the file is UTF-16 (little-endian), by its byte order mark",
    "utf-32 byte order mark": "the file is UTF-32 (big-endian), by its byte order mark",
    "NUL inside a field": (3, 0, 0, 0, 3),
    "only NUL bytes": "500 of the first 500 bytes are NUL: the file looks like UTF-16 or UTF-32",
    "very long line": (1, 1, 0, 0, 0),
    "1 MB quoted field with newlines": (1, 1, 0, 0, 0),
    "unclosed quote": (4, 1, 0, 3, 0),
    "duplicate header": "the header names column 'text' twice (columns 2 and 7)",
    "missing required column": "the header lacks received_at (column 'received_at')",
    "cp1252 bytes": (
        "the file is not valid utf-8: byte 0xE9 at offset 74 (line 2) cannot be decoded; it reads as Windows-1252"
    ),
    "encoded surrogate": "the file is not valid utf-8: byte 0xED at offset 69 (line 2) cannot be decoded",
    "semicolon separated": "the header lacks external_id (column 'external_id')",
    "mixed line endings": (3, 0, 0, 3, 0),
    "text over the limit and blank text": (3, 0, 0, 0, 3),
}


@pytest.mark.parametrize("name", list(MALFORMED_FILES))
def test_a_malformed_file_leaves_the_stored_cases_exactly_as_they_were(tmp_path, stored_cases, name):
    try:
        summary = import_bytes(tmp_path, MALFORMED_FILES[name])
        outcome: str | tuple[int, ...] = (
            summary.rows_in_file,
            summary.unreadable,
            summary.created,
            summary.duplicates,
            summary.rejected,
        )
    except ImportFileError as error:
        outcome = str(error)[: len(str(MALFORMED_OUTCOMES[name]))]

    assert outcome == MALFORMED_OUTCOMES[name]
    assert list(Case.objects.order_by("id").values()) == stored_cases


def test_lines_may_end_with_lf_crlf_or_a_lone_cr_and_a_quoted_cr_is_kept(tmp_path):
    content = (
        HEADER.replace("\n", "\r")
        + good_row("g1").replace("\n", "\r")
        + good_row("g2").replace("\n", "\r\n")
        + f'g3,"two\rlines",{RECEIVED_AT},chat,Parcelly,ana,\r'
        + "short,row\r"
        + good_row("g4")
    )

    summary = import_bytes(tmp_path, content.encode())

    assert (summary.rows_in_file, summary.unreadable, summary.created) == (5, 1, 4)
    assert summary.first_rejections == [(6, "expected 7 columns, found 2")]
    assert Case.objects.get(external_id="g3").text == "two\rlines"


def test_a_bad_byte_is_located_by_the_same_line_numbers_with_lone_cr_line_ends(tmp_path):
    content = HEADER.replace("\n", "\r").encode() + good_row("g1").replace("\n", "\r").encode() + b"g2,caf\xe9\r"

    with pytest.raises(ImportFileError) as refused:
        import_bytes(tmp_path, content)

    assert str(refused.value).startswith(
        "the file is not valid utf-8: byte 0xE9 at offset 133 (line 3) cannot be decoded; "
        "it reads as Windows-1252 (cp1252) 'g2,café':"
    )
