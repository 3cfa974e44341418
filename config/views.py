"""Project-level views that belong to no app."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.health import broker_status, database_status


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """JSON health of the database and the broker: 200 when both are usable, 503 otherwise."""
    body = {"database": database_status(), "broker": broker_status()}
    healthy = body["database"] == "ok" and body["broker"] in {"ok", "eager"}
    return JsonResponse(body, status=200 if healthy else 503)
