"""Reads of the improvement app, one module per concern."""
