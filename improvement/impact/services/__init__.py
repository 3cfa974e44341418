"""Writes for impact: evaluating shipped fixes, and theme alerts."""
