"""Writes for themes, one module per job."""
