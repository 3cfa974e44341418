"""Theme and clustering-run endpoints."""
