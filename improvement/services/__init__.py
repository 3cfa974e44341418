"""Writes of the improvement app, one module per entity; import from the module (`improvement.services.themes`)."""
