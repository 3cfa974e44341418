"""Writes for departments, issues and fixes."""
