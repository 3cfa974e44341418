"""REST API of the improvement app, one module per resource, registered in config/api_router.py."""
