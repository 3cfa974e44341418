"""Durations for people: 78.16596277899998 seconds reads "1 min 18 s"."""

from __future__ import annotations

MISSING_DURATION = "—"
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600


def duration_text(seconds: float | None) -> str:
    """Whole seconds under a minute ("42 s"), minutes and seconds under an hour ("1 min 18 s"), else hours and
    minutes ("2 h 5 min"); "—" when there is no duration (a run that has not finished)."""
    if seconds is None:
        return MISSING_DURATION
    whole = round(seconds)
    if whole < SECONDS_PER_MINUTE:
        return f"{whole} s"
    if whole < SECONDS_PER_HOUR:
        minutes, rest = divmod(whole, SECONDS_PER_MINUTE)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(whole, SECONDS_PER_HOUR)
    minutes = rest // SECONDS_PER_MINUTE
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
