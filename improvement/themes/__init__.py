"""Themes: clustering runs, new cases joining themes, curation by team leads, and the pure ML under ml/."""
