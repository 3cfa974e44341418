"""The answer to a locked-out sign-in (django-axes' AXES_LOCKOUT_CALLABLE): JSON for the API, a page for the form."""

from __future__ import annotations

import logging

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from improvement.http_errors import error_body

logger = logging.getLogger("fixloop.security")

LOCKOUT_STATUS = 429


def client_ip_address(request: HttpRequest) -> str:
    """The client's address as DRF's throttles see it: REMOTE_ADDR, or with `REST_FRAMEWORK["NUM_PROXIES"]` proxies
    in front, the address the first of them saw (X-Forwarded-For hops a client adds itself are ignored)."""
    remote_address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return remote_address


def lockout_message() -> str:
    """What a locked-out user is told: the number of failures and how long the lock lasts."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"Too many failed sign-ins: after {settings.AXES_FAILURE_LIMIT} wrong passwords for this username from this "
        f"address, signing in is locked for {minutes} minutes."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """429 with the reason: the API's error shape on the API, the lockout page elsewhere; the lockout is logged."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    logger.warning(
        "sign-in locked out: username=%r ip=%s path=%s cool_off=%s",
        username,
        client_ip_address(request),
        request.path,
        get_cool_off(request),
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(detail=lockout_message(), code="locked_out"), status=LOCKOUT_STATUS)
    else:
        response = render(
            request, "registration/locked_out.html", {"message": lockout_message()}, status=LOCKOUT_STATUS
        )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
