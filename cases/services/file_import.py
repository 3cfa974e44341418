"""Import cases from a CSV file, streamed: one csv reader over the file, batches into `case_ingest_many`.

Formats:
- `airline`: the Twitter US Airline Sentiment export (tweet_id, airline, name, text, tweet_created, ...).
- `twcs`: the Customer Support on Twitter export (tweet_id, author_id, inbound, created_at, text,
  response_tweet_id, in_response_to_tweet_id). Only inbound customer tweets become cases. The brand is the
  author of the brand's response (`response_tweet_id` pointing at an outbound tweet). Because the file is
  streamed and a response may come later in it, an inbound tweet whose response is not seen yet waits in a
  bounded buffer until the response arrives; when the buffer is full, when all its responses turned out to be
  customer tweets, or at the end of the file, it falls back to the brand of its conversation: the brand of the
  tweet it answers (`in_response_to_tweet_id`: the brand's author, or the brand already found for a customer
  tweet), then the brand found for one of its responses, then the first @mention that is not an anonymised
  customer (customers are integers), then `--brand`. Without any of them the row is rejected. Tweet ids are
  remembered in a bounded map (the most recent 200,000; at most 20,000 tweets wait), so a 3-million-row file
  streams in bounded memory.
- `generic`: columns external_id, text, received_at (ISO 8601 with offset), channel, brand, author_handle,
  reply_to, thread_id; every name can be overridden with a column map (`text=body`).

The file is read by `cases.services.csv_reading` (which defines "rows in the file" and the encodings read):
rows in the file = rows read + unreadable rows (broken quoting, wrong column count, over the size limit), and
the rows read = created + duplicates + rejected (missing text, unparseable date, text over 10,000 characters,
...) + skipped (twcs tweets that are not inbound). Every unreadable or rejected row is counted and the first
ones are reported with the line they start on; the good rows are stored. A file the reader refuses as a whole
(encoding, empty, duplicate or missing columns) raises ImportFileError before anything is stored.
"""

from __future__ import annotations

import datetime
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cases.services.csv_reading import CsvRecord, ImportFileError, csv_read
from cases.services.ingest import RowError, case_ingest_many

FORMATS = ("airline", "twcs", "generic")
DEFAULT_BATCH_SIZE = 2_000
DEFAULT_REPORTED_REJECTIONS = 20
# An inbound twcs tweet waits at most this long (in tweets) for its brand's response before falling back.
TWCS_MAX_PENDING = 20_000
# How many tweet ids (and their authors, for brand tweets) are remembered to link replies.
TWCS_MAX_REMEMBERED = 200_000

DEFAULT_COLUMNS: dict[str, dict[str, str]] = {
    "airline": {
        "external_id": "tweet_id",
        "text": "text",
        "received_at": "tweet_created",
        "brand": "airline",
        "author_handle": "name",
    },
    "twcs": {
        "external_id": "tweet_id",
        "text": "text",
        "received_at": "created_at",
        "author_handle": "author_id",
        "inbound": "inbound",
        "response_ids": "response_tweet_id",
        "reply_to_external_id": "in_response_to_tweet_id",
    },
    "generic": {
        "external_id": "external_id",
        "text": "text",
        "received_at": "received_at",
        "channel": "channel",
        "brand": "brand",
        "author_handle": "author_handle",
        "reply_to_external_id": "reply_to",
        "thread_external_id": "thread_id",
    },
}
REQUIRED_COLUMNS = {
    "airline": ("external_id", "text", "received_at", "brand"),
    "twcs": ("external_id", "text", "received_at", "author_handle", "inbound"),
    "generic": ("external_id", "text", "received_at"),
}
# Short names accepted in a column map, as documented for the generic format.
FIELD_ALIASES = {"reply_to": "reply_to_external_id", "thread_id": "thread_external_id", "author": "author_handle"}
DEFAULT_CHANNEL = {"airline": "twitter", "twcs": "twitter", "generic": ""}

AIRLINE_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
TWCS_DATE_FORMAT = "%a %b %d %H:%M:%S %z %Y"
MENTION = re.compile(r"(?<![\w@])@(\w{1,50})")


__all__ = [
    "FORMATS",
    "ImportFileError",
    "ImportSummary",
    "case_import_check",
    "case_import_count_rows",
    "case_import_file",
    "case_import_report",
    "column_map_parse",
]


@dataclass
class ImportSummary:
    """Counts of one import: rows_in_file = rows_read + unreadable; rows_read = created + duplicates + rejected
    + skipped."""

    rows_in_file: int = 0
    unreadable: int = 0
    skipped: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    # (line, reason) of the first unreadable or rejected rows, in the order they were found.
    first_rejections: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return self.rows_in_file - self.unreadable

    @property
    def refused(self) -> int:
        """Rows not stored for a reason: unreadable or rejected."""
        return self.unreadable + self.rejected


def case_import_report(summary: ImportSummary) -> list[str]:
    """The lines every entry point prints for an import: the counts, then the first refused rows by line."""
    lines = [
        f"rows in the file: {summary.rows_in_file:,} (read: {summary.rows_read:,}; unreadable: "
        f"{summary.unreadable:,}); created: {summary.created:,}; duplicates: {summary.duplicates:,}; "
        f"rejected: {summary.rejected:,}" + (f"; skipped (not inbound): {summary.skipped:,}" if summary.skipped else "")
    ]
    lines.extend(f"  line {line}: {reason}" for line, reason in summary.first_rejections)
    if summary.refused > len(summary.first_rejections):
        lines.append(f"  ... and {summary.refused - len(summary.first_rejections):,} more")
    return lines


MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}


def _parse_date(value: str, date_format: str, column: str) -> datetime.datetime:
    text = value.strip()
    # strptime dominates the import time at millions of rows; rewrite the two known layouts for fromisoformat.
    try:
        if date_format == AIRLINE_DATE_FORMAT and len(text) == 25 and text[19] == " ":
            return datetime.datetime.fromisoformat(text[:19] + text[20:])
        parts = text.split(" ")
        if date_format == TWCS_DATE_FORMAT and len(parts) == 6 and parts[1] in MONTHS and parts[4][:1] in "+-":
            return datetime.datetime.fromisoformat(
                f"{parts[5]}-{MONTHS[parts[1]]:02d}-{int(parts[2]):02d}T{parts[3]}{parts[4]}",
            )
    except ValueError:
        pass
    try:
        return datetime.datetime.strptime(text, date_format)
    except ValueError:
        raise RowError(f"{column} is not a date like {date_format!r}: {value[:40]!r}") from None


def _airline_row(values: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, Any]:
    return {
        "external_id": values[columns["external_id"]],
        "text": values[columns["text"]],
        "received_at": _parse_date(values[columns["received_at"]], AIRLINE_DATE_FORMAT, columns["received_at"]),
        "brand": values[columns["brand"]],
        "author_handle": values.get(columns["author_handle"], ""),
        "channel": "twitter",
        "raw_payload": dict(values),
    }


def _generic_row(values: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {name: values.get(column, "") for name, column in columns.items()}
    row["raw_payload"] = dict(values)
    return row


def _twcs_row(values: Mapping[str, str], columns: Mapping[str, str], brand: str) -> dict[str, Any]:
    if not brand:
        raise RowError("brand unknown: no brand tweet in its reply chain and no @mention of a brand (--brand sets one)")
    return {
        "external_id": values[columns["external_id"]],
        "text": values[columns["text"]],
        "received_at": _parse_date(values[columns["received_at"]], TWCS_DATE_FORMAT, columns["received_at"]),
        "brand": brand,
        "author_handle": values[columns["author_handle"]],
        "reply_to_external_id": values.get(columns["reply_to_external_id"], ""),
        "channel": "twitter",
        "raw_payload": dict(values),
    }


@dataclass
class _PendingInbound:
    line: int
    values: dict[str, str]
    awaiting: set[str]


class _TwcsBrands:
    """Links inbound tweets to the brand that answered them, with bounded memory (see the module docstring)."""

    def __init__(self, *, columns: Mapping[str, str], default_brand: str, max_pending: int, max_remembered: int):
        self.columns = columns
        self.default_brand = default_brand
        self.max_pending = max_pending
        self.max_remembered = max_remembered
        # tweet id -> (written by a brand, the brand of its conversation or "" while unknown)
        self.tweets: OrderedDict[str, tuple[bool, str]] = OrderedDict()
        self.pending: OrderedDict[str, _PendingInbound] = OrderedDict()
        self.awaited_by: dict[str, str] = {}
        self.skipped = 0

    def _remember(self, tweet_id: str, *, is_outbound: bool, brand: str) -> None:
        self.tweets[tweet_id] = (is_outbound, brand)
        self.tweets.move_to_end(tweet_id)
        if len(self.tweets) > self.max_remembered:
            self.tweets.popitem(last=False)

    def _brand_of(self, tweet_id: str) -> str:
        return self.tweets.get(tweet_id, (False, ""))[1]

    def _response_ids(self, values: Mapping[str, str]) -> list[str]:
        return [
            response_id.strip()
            for response_id in values.get(self.columns["response_ids"], "").split(",")
            if response_id.strip()
        ]

    def _fallback_brand(self, values: Mapping[str, str]) -> str:
        answered = values.get(self.columns["reply_to_external_id"], "").strip()
        if answered and self._brand_of(answered):
            return self._brand_of(answered)
        for response_id in self._response_ids(values):
            if self._brand_of(response_id):
                return self._brand_of(response_id)
        for handle in MENTION.findall(values[self.columns["text"]]):
            if not handle.isdigit():
                return handle
        return self.default_brand

    def _resolved(self, line: int, values: dict[str, str], brand: str) -> tuple[int, dict[str, str], str]:
        self._remember(values[self.columns["external_id"]].strip(), is_outbound=False, brand=brand)
        return line, values, brand

    def _release(self, tweet_id: str, brand: str | None) -> tuple[int, dict[str, str], str]:
        pending = self.pending.pop(tweet_id)
        for response_id in pending.awaiting:
            self.awaited_by.pop(response_id, None)
        return self._resolved(pending.line, pending.values, brand or self._fallback_brand(pending.values))

    def _take_inbound(self, line: int, values: dict[str, str]) -> Iterator[tuple[int, dict[str, str], str]]:
        tweet_id = values[self.columns["external_id"]].strip()
        response_ids = self._response_ids(values)
        brand_response = next(
            (self.tweets[rid] for rid in response_ids if rid in self.tweets and self.tweets[rid][0]),
            None,
        )
        if brand_response is not None:
            yield self._resolved(line, values, brand_response[1])
            return
        awaiting = {response_id for response_id in response_ids if response_id not in self.tweets}
        if not awaiting or tweet_id in self.pending:
            yield self._resolved(line, values, self._fallback_brand(values))
            return
        self.pending[tweet_id] = _PendingInbound(line=line, values=values, awaiting=awaiting)
        for response_id in awaiting:
            self.awaited_by[response_id] = tweet_id
        if len(self.pending) > self.max_pending:
            yield self._release(next(iter(self.pending)), None)

    def feed(self, line: int, values: dict[str, str]) -> Iterator[tuple[int, dict[str, str], str]]:
        """Take one record; yield the inbound tweets whose brand is now known, as (line, values, brand)."""
        tweet_id = values[self.columns["external_id"]].strip()
        is_inbound = values[self.columns["inbound"]].strip().lower() == "true"
        if is_inbound:
            self._remember(tweet_id, is_outbound=False, brand="")
            yield from self._take_inbound(line, values)
        else:
            self.skipped += 1
            self._remember(tweet_id, is_outbound=True, brand=values[self.columns["author_handle"]].strip())

        waiting_inbound = self.awaited_by.pop(tweet_id, None)
        if waiting_inbound is not None and waiting_inbound in self.pending:
            if not is_inbound:
                yield self._release(waiting_inbound, self._brand_of(tweet_id))
            else:
                pending = self.pending[waiting_inbound]
                pending.awaiting.discard(tweet_id)
                if not pending.awaiting:
                    yield self._release(waiting_inbound, None)

    def finish(self) -> Iterator[tuple[int, dict[str, str], str]]:
        while self.pending:
            yield self._release(next(iter(self.pending)), None)


def _column_map(file_format: str, header: list[str], overrides: Mapping[str, str]) -> dict[str, str]:
    columns = dict(DEFAULT_COLUMNS[file_format])
    for name, column in overrides.items():
        name = FIELD_ALIASES.get(name, name)
        if name not in columns:
            raise ImportFileError(f"--map {name}=...: unknown field; known: {', '.join(sorted(columns))}")
        columns[name] = column
    missing = [
        f"{name} (column {columns[name]!r})" for name in REQUIRED_COLUMNS[file_format] if columns[name] not in header
    ]
    if missing:
        raise ImportFileError(f"the header lacks {', '.join(missing)}; found: {', '.join(header)}")
    return columns


def _rows(
    file_format: str,
    header: list[str],
    records: Iterator[CsvRecord],
    columns: Mapping[str, str],
    default_brand: str,
    summary: ImportSummary,
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line, service row, None) for each row to ingest, or (line, None, reason) for a row counted as unreadable
    or rejected."""
    brands = (
        _TwcsBrands(
            columns=columns,
            default_brand=default_brand,
            max_pending=TWCS_MAX_PENDING,
            max_remembered=TWCS_MAX_REMEMBERED,
        )
        if file_format == "twcs"
        else None
    )

    def convert(
        line: int, build: Callable[..., dict[str, Any]], *arguments: Any
    ) -> tuple[
        int,
        dict[str, Any] | None,
        str | None,
    ]:
        try:
            return line, build(*arguments), None
        except RowError as error:
            summary.rejected += 1
            return line, None, str(error)

    for record in records:
        summary.rows_in_file += 1
        if record.values is None:
            summary.unreadable += 1
            yield record.line, None, record.error
            continue
        values = dict(zip(header, record.values, strict=True))
        if brands is not None:
            for line, inbound_values, brand in brands.feed(record.line, values):
                yield convert(line, _twcs_row, inbound_values, columns, brand)
        elif file_format == "airline":
            yield convert(record.line, _airline_row, values, columns)
        else:
            yield convert(record.line, _generic_row, values, columns)
    if brands is not None:
        for line, values, brand in brands.finish():
            yield convert(line, _twcs_row, values, columns, brand)
        summary.skipped = brands.skipped


def column_map_parse(values: list[str]) -> dict[str, str]:
    """`["text=body,received_at=created", ...]` as {field: column}; ImportFileError names a malformed pair."""
    column_map: dict[str, str] = {}
    for value in values:
        for pair in value.split(","):
            name, separator, column = pair.partition("=")
            if not separator or not name.strip() or not column.strip():
                raise ImportFileError(f"a column map expects FIELD=COLUMN pairs, got {pair!r}")
            column_map[name.strip()] = column.strip()
    return column_map


def case_import_check(
    *,
    binary_file: BinaryIO,
    file_format: str,
    column_map: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
) -> list[str]:
    """The file's header, or ImportFileError for a file `case_import_file` would refuse as a whole (format,
    encoding, empty, duplicate or missing columns, bad column map); reads the file, stores nothing."""
    if file_format not in FORMATS:
        raise ImportFileError(f"unknown format {file_format!r}; use one of {', '.join(FORMATS)}")
    header, _records = csv_read(binary_file, encoding=encoding)
    _column_map(file_format, header, column_map or {})
    return header


def case_import_count_rows(*, binary_file: BinaryIO, encoding: str = "utf-8") -> int:
    """Rows in the file as an import counts them: the CSV records after the header, readable or not."""
    _header, records = csv_read(binary_file, encoding=encoding)
    return sum(1 for _record in records)


def case_import_file(
    *,
    path: Path | str,
    file_format: str,
    column_map: Mapping[str, str] | None = None,
    default_brand: str = "",
    default_channel: str = "",
    batch_size: int = DEFAULT_BATCH_SIZE,
    reported_rejections: int = DEFAULT_REPORTED_REJECTIONS,
    on_progress: Callable[[int], None] | None = None,
    embed: bool | None = None,
    encoding: str = "utf-8",
    on_batch: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Stream a CSV file into cases in batches; `on_progress` gets the bytes read so far after each batch, and
    `on_batch` the counts so far (`rows_in_file` is the rows read up to there).

    `encoding` is the file's declared encoding (UTF-8 unless said otherwise; see `csv_reading`).
    """
    if file_format not in FORMATS:
        raise ImportFileError(f"unknown format {file_format!r}; use one of {', '.join(FORMATS)}")
    summary = ImportSummary()
    channel = default_channel or DEFAULT_CHANNEL[file_format]

    def report(line: int, reason: str) -> None:
        if len(summary.first_rejections) < reported_rejections:
            summary.first_rejections.append((line, reason))

    def flush(batch: list[tuple[int, dict[str, Any]]]) -> None:
        result = case_ingest_many(
            rows=[row for _, row in batch],
            default_channel=channel,
            default_brand=default_brand,
            embed=embed,
        )
        summary.created += result.created
        summary.duplicates += result.duplicates
        summary.rejected += result.rejected_count
        for rejection in result.rejected:
            report(batch[rejection.index][0], rejection.reason)
        if on_batch is not None:
            on_batch(summary)

    with open(path, "rb") as binary_file:
        header, records = csv_read(binary_file, encoding=encoding)
        columns = _column_map(file_format, header, column_map or {})
        batch: list[tuple[int, dict[str, Any]]] = []
        for line, row, error in _rows(file_format, header, records, columns, default_brand, summary):
            if row is None:
                report(line, error or "unreadable record")
                continue
            batch.append((line, row))
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
                if on_progress is not None:
                    on_progress(binary_file.tell())
        if batch:
            flush(batch)
        elif on_batch is not None:
            on_batch(summary)
        if on_progress is not None:
            on_progress(binary_file.tell())
    return summary
