"""Writes of the cases app, one module per concern; import from the module (`cases.services.ingest`)."""
