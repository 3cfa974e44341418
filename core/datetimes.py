"""The range of dates and times Fixloop accepts from outside (ingest, query parameters).

Python, PostgreSQL and SQLite disagree at the edges (year 1 and year 9999 overflow once shifted to UTC, PostgreSQL
refuses offsets beyond +-15:59), and a single case dated there breaks every read and nightly job that touches it.
No customer contact is older than 1970 or later than 2100, so anything outside is refused with a reason.
"""

from __future__ import annotations

import datetime

EARLIEST_YEAR = 1970
LATEST_YEAR = 2100
EARLIEST_DATETIME = datetime.datetime(EARLIEST_YEAR, 1, 1, tzinfo=datetime.UTC)
LATEST_DATETIME = datetime.datetime(LATEST_YEAR, 12, 31, 23, 59, 59, 999_999, tzinfo=datetime.UTC)
RANGE_TEXT = f"{EARLIEST_YEAR}-01-01 to {LATEST_YEAR}-12-31 (UTC)"


class OutOfRange(ValueError):
    """A date or time outside EARLIEST_YEAR..LATEST_YEAR; the message states the range."""


def datetime_in_range(value: datetime.datetime) -> datetime.datetime:
    """The aware datetime in UTC, or OutOfRange when it falls outside the accepted range."""
    # The year check comes first: shifting year 1 or 9999 to UTC may itself overflow.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise OutOfRange(f"is outside the accepted range {RANGE_TEXT}")
    in_utc = value.astimezone(datetime.UTC)
    if not EARLIEST_DATETIME <= in_utc <= LATEST_DATETIME:
        raise OutOfRange(f"is outside the accepted range {RANGE_TEXT}")
    return in_utc


def date_in_range(value: datetime.date) -> datetime.date:
    """The date itself, or OutOfRange when its year falls outside the accepted range."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise OutOfRange(f"is outside the accepted range {RANGE_TEXT}")
    return value
