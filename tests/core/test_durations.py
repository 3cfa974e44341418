from __future__ import annotations

import pytest

from core.durations import duration_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.0, "0 s"),
        (0.4, "0 s"),
        (12.6, "13 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),
        (60, "1 min"),
        (78.16596277899998, "1 min 18 s"),
        (3599.4, "59 min 59 s"),
        (3600, "1 h"),
        (7512.9, "2 h 5 min"),
    ],
)
def test_a_duration_reads_in_whole_seconds_minutes_and_hours(seconds, text):
    assert duration_text(seconds) == text
