"""Ingest cases: validate rows one by one, store the good ones once per (channel, external_id), count exactly.

One code path serves the bulk API and the `import_cases` command. A row is a dict with the keys
`external_id`, `text`, `received_at` (aware datetime or ISO 8601 string), `channel`, `brand` and the optional
`author_handle`, `reply_to_external_id`, `thread_external_id`, `raw_payload`. A bad row is rejected with its
index and a reason; the good rows of the same call are still stored. A duplicate (already stored, or repeated
inside the call) is counted and never changes the stored case.

Inserts use `INSERT ... ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`, on PostgreSQL with the rows
unnested from one array per column, on SQLite as multi-row VALUES: the rows the database returns are exactly the
ones this call created, also when concurrent calls race on the same ids (the loser of a race waits for the
winner's commit and then inserts nothing).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.models import Case, Channel
from cases.sentiment import text_negativity
from cases.text import analysis_text
from core.datetimes import OutOfRange, datetime_in_range
from core.jobs import enqueue_all_on_commit
from core.json_limits import JSON_MAX_DEPTH, json_depth_exceeds

MAX_TEXT_LENGTH = 10_000
# Rows per INSERT statement: 16 columns x 500 rows stays far below SQLite's and PostgreSQL's parameter limits.
INSERT_CHUNK_SIZE = 500
CHANNELS = frozenset(Channel.values)
# PostgreSQL text and jsonb cannot hold NUL, and UTF-8 cannot encode lone surrogates (nor undecodable bytes
# that a reader kept as surrogate escapes): such values are rejected, not silently altered.
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
INSERT_COLUMNS = [
    "channel",
    "external_id",
    "brand",
    "author_handle",
    "text",
    "received_at",
    "reply_to_external_id",
    "thread_external_id",
    "raw_payload",
    "ingested_at",
    "analysis_text",
    "negativity",
    "embedding_model",
    "embedded_text_hash",
]
TEXT_FIELDS_IN_ORDER = (
    "channel",
    "external_id",
    "brand",
    "author_handle",
    "text",
    "reply_to_external_id",
    "thread_external_id",
)
# json.dumps with these options would build a new encoder for every row of a 5,000-row request.
PAYLOAD_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)
# Not null, empty until the case is embedded; `embedding` and `embedded_at` stay NULL.
EMPTY_STRING_COLUMNS = frozenset({"embedding_model", "embedded_text_hash"})


class RowError(ValueError):
    """A row that cannot be stored; the message is the reason reported to the sender."""


@dataclass(frozen=True)
class RowRejection:
    index: int
    reason: str


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    rejected: list[RowRejection] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)


def _string(row: Mapping[str, Any], key: str, *, required: bool, max_length: int | None) -> str:
    value = row.get(key)
    if value is None or value == "":
        if required:
            raise RowError(f"{key} is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RowError(f"{key} must be a string, got {type(value).__name__}")
    value = str(value)
    if required and not value.strip():
        raise RowError(f"{key} is blank")
    if max_length is not None and len(value) > max_length:
        raise RowError(f"{key} is {len(value):,} characters long; the limit is {max_length:,}")
    return value


def _check_storable(values: Mapping[str, Any]) -> None:
    # One search over all text fields at once; the per-field search only runs to name the culprit.
    if not UNSTORABLE.search("".join(value for value in values.values() if isinstance(value, str))):
        return
    for key in TEXT_FIELDS_IN_ORDER:
        if UNSTORABLE.search(values[key]):
            raise RowError(f"{key} contains a NUL character, a lone surrogate or bytes that are not valid UTF-8")


def _received_at(row: Mapping[str, Any]) -> datetime.datetime:
    value = row.get("received_at")
    if value is None or value == "":
        raise RowError("received_at is required")
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise RowError(f"received_at is not an ISO 8601 date-time: {value[:40]!r}")
        value = parsed
    if not isinstance(value, datetime.datetime):
        raise RowError(f"received_at must be an ISO 8601 date-time string, got {type(value).__name__}")
    if timezone.is_naive(value):
        raise RowError("received_at has no time zone offset (add one, e.g. +00:00 or Z)")
    try:
        # Stored in UTC: PostgreSQL refuses offsets beyond +-15:59, which Python and ISO 8601 allow.
        return datetime_in_range(value)
    except OutOfRange as error:
        raise RowError(f"received_at {value.isoformat()} {error}") from None


def _first_unstorable_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if UNSTORABLE.search(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and UNSTORABLE.search(key):
                return path
            found = _first_unstorable_path(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            found = _first_unstorable_path(item, f"{path}[{position}]")
            if found:
                return found
    return None


def _payload_json(raw_payload: Any) -> str:
    if raw_payload is None:
        raw_payload = {}
    if not isinstance(raw_payload, Mapping):
        raise RowError(f"raw_payload must be an object, got {type(raw_payload).__name__}")
    if json_depth_exceeds(raw_payload, JSON_MAX_DEPTH):
        raise RowError(f"raw_payload is nested deeper than {JSON_MAX_DEPTH} levels; the limit is {JSON_MAX_DEPTH}")
    try:
        payload = PAYLOAD_ENCODER.encode(raw_payload)
    except (TypeError, ValueError) as error:
        raise RowError(f"raw_payload cannot be stored as JSON: {error}") from None
    # Fast check on the serialised text; the walk that names the bad key only runs when something looks wrong.
    if "\\u0000" in payload or UNSTORABLE.search(payload):
        bad_path = _first_unstorable_path(raw_payload, "raw_payload")
        if bad_path:
            raise RowError(f"{bad_path} contains a NUL character, a lone surrogate or bytes that are not valid UTF-8")
    return payload


def case_values_from_row(*, row: Any, default_channel: str = "", default_brand: str = "") -> dict[str, Any]:
    """The column values of a new case from one input row, analysis text included; raises RowError naming the field.

    `raw_payload` comes back serialised as JSON text; `negativity` is cases.sentiment.text_negativity of the text.
    """
    if not isinstance(row, Mapping):
        raise RowError(f"a case must be an object, got {type(row).__name__}")
    channel = _string(row, "channel", required=False, max_length=20) or default_channel
    if not channel:
        raise RowError("channel is required")
    if channel not in CHANNELS:
        raise RowError(f"channel {channel!r} is not one of {', '.join(sorted(CHANNELS))}")
    brand = (_string(row, "brand", required=False, max_length=100) or default_brand).strip()
    if not brand:
        raise RowError("brand is required")
    external_id = _string(row, "external_id", required=True, max_length=200).strip()
    text = _string(row, "text", required=True, max_length=MAX_TEXT_LENGTH)
    values = {
        "channel": channel,
        "external_id": external_id,
        "brand": brand,
        "author_handle": _string(row, "author_handle", required=False, max_length=200),
        "text": text,
        "received_at": _received_at(row),
        "reply_to_external_id": _string(row, "reply_to_external_id", required=False, max_length=200),
        "thread_external_id": _string(row, "thread_external_id", required=False, max_length=200),
    }
    _check_storable(values)
    values["raw_payload"] = _payload_json(row.get("raw_payload"))
    values["analysis_text"] = analysis_text(text, brand_names=[brand])
    values["negativity"] = text_negativity(text)
    return values


def _column_lists(cases: list[dict[str, Any]]) -> list[list[Any]]:
    ingested_at = timezone.now()
    adapt_datetime = connection.ops.adapt_datetimefield_value
    columns: list[list[Any]] = []
    for name in INSERT_COLUMNS:
        if name == "ingested_at":
            columns.append([adapt_datetime(ingested_at)] * len(cases))
        elif name == "received_at":
            columns.append([adapt_datetime(case["received_at"]) for case in cases])
        elif name in EMPTY_STRING_COLUMNS:
            columns.append([""] * len(cases))
        else:
            columns.append([case[name] for case in cases])
    return columns


def _insert_ignoring_conflicts(cases: list[dict[str, Any]]) -> list[int]:
    """Insert the cases, skipping those whose (channel, external_id) is stored; returns the new ids."""
    quote = connection.ops.quote_name
    table = quote(Case._meta.db_table)
    column_names = ", ".join(quote(Case._meta.get_field(name).column) for name in INSERT_COLUMNS)
    conflict = f"ON CONFLICT ({quote('channel')}, {quote('external_id')}) DO NOTHING RETURNING {quote('id')}"
    columns = _column_lists(cases)
    if connection.vendor == "postgresql":
        # One binary array parameter per column, unnested into rows by PostgreSQL: a short statement, and no
        # client-side quoting of every value (Django's default client-side binding cursor would do that).
        arrays = ", ".join(
            f"%b::{Case._meta.get_field(name).db_type(connection)}[]" if name != "raw_payload" else "%b::text[]"
            for name in INSERT_COLUMNS
        )
        selected = ", ".join(
            f"{quote('column_' + name)}::jsonb" if name == "raw_payload" else quote("column_" + name)
            for name in INSERT_COLUMNS
        )
        aliases = ", ".join(quote("column_" + name) for name in INSERT_COLUMNS)
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({column_names}) SELECT {selected} FROM unnest({arrays}) AS new ({aliases}) "
                f"{conflict}",
                columns,
            )
            return [row[0] for row in cursor.fetchall()]
    with connection.cursor() as cursor:
        created_ids: list[int] = []
        rows = list(zip(*columns, strict=True))
        row_placeholder = "(" + ", ".join(["%s"] * len(INSERT_COLUMNS)) + ")"
        for start in range(0, len(rows), INSERT_CHUNK_SIZE):
            chunk = rows[start : start + INSERT_CHUNK_SIZE]
            cursor.execute(
                f"INSERT INTO {table} ({column_names}) VALUES {', '.join([row_placeholder] * len(chunk))} {conflict}",
                [value for row in chunk for value in row],
            )
            created_ids.extend(row[0] for row in cursor.fetchall())
        return created_ids


def _enqueue_after_ingest(case_ids: list[int], *, should_embed: bool) -> None:
    # Robust: the cases are committed whatever happens to the queue; a failed enqueue is logged and the nightly
    # jobs backfill (`case_embed_pending_task`, the full recount of daily counts), so the caller never gets an
    # error for cases that were stored.
    tasks = [(task_name, [case_ids]) for task_name in settings.CASES_AFTER_INGEST_TASKS]
    if should_embed:
        tasks.append(("cases.case_embed_task", [case_ids]))
    enqueue_all_on_commit(tasks, robust=True)


def case_ingest_many(
    *,
    rows: Iterable[Any],
    default_channel: str = "",
    default_brand: str = "",
    embed: bool | None = None,
) -> IngestResult:
    """Validate each row, store the good ones once, and count created, duplicates and rejected rows.

    `default_channel` and `default_brand` fill rows that have none. After commit the tasks named in
    settings.CASES_AFTER_INGEST_TASKS get the created ids (counting the day's totals), and the cases are queued
    for embedding unless `embed` is False (None follows settings.CASES_EMBED_ON_INGEST).
    """
    result = IngestResult()
    candidates: dict[tuple[str, str], dict[str, Any]] = {}
    for index, row in enumerate(rows):
        try:
            case = case_values_from_row(row=row, default_channel=default_channel, default_brand=default_brand)
        except RowError as error:
            result.rejected.append(RowRejection(index=index, reason=str(error)))
            continue
        key = (case["channel"], case["external_id"])
        if key in candidates:
            result.duplicates += 1
            continue
        candidates[key] = case
    if not candidates:
        return result

    # A fixed insert order makes concurrent batches take row locks in the same order, so they cannot deadlock.
    ordered = [candidates[key] for key in sorted(candidates)]
    with transaction.atomic():
        result.created_ids = sorted(_insert_ignoring_conflicts(ordered))
        result.created = len(result.created_ids)
        result.duplicates += len(ordered) - result.created
        should_embed = settings.CASES_EMBED_ON_INGEST if embed is None else embed
        if result.created_ids:
            _enqueue_after_ingest(result.created_ids, should_embed=should_embed)
    return result
