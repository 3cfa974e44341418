"""Fixtures of the improvement tests."""

from __future__ import annotations

from tests.improvement.theme_data import airline_tweets

__all__ = ["airline_tweets"]
