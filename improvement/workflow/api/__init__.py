"""Department, issue and fix endpoints."""
