"""REST API of the cases app, registered in config/api_router.py."""
