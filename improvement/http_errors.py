"""The one place that turns domain errors into HTTP: a DRF exception handler and a page helper.

Django's ValidationError and PermissionDenied are mapped too, so a service may raise either family.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from improvement.errors import DomainError, NotFound, error_messages

logger = logging.getLogger(__name__)


class ConflictApiError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The current state does not allow this."
    default_code = "conflict"


class DatabaseUnavailableApiError(exceptions.APIException):
    """The database went away (restart, failover); the request's uncommitted writes were rolled back."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry in a few seconds."
    default_code = "database_unavailable"
    # DRF's handler turns `wait` into a Retry-After header.
    wait = 5


def error_http_status(error: Exception) -> int:
    """The HTTP status a domain (or Django validation/permission) error is answered with."""
    if isinstance(error, DjangoValidationError):
        return status.HTTP_400_BAD_REQUEST
    if isinstance(error, DjangoPermissionDenied):
        return status.HTTP_403_FORBIDDEN
    if isinstance(error, DomainError):
        return error.http_status
    return status.HTTP_500_INTERNAL_SERVER_ERROR


def _as_api_exception(error: Exception) -> exceptions.APIException | None:
    if isinstance(error, DjangoValidationError):
        return exceptions.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)
    if isinstance(error, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(error) or None)
    if isinstance(error, NotFound):
        return exceptions.NotFound(str(error))
    if isinstance(error, DomainError):
        return ConflictApiError(str(error)) if error.http_status == status.HTTP_409_CONFLICT else None
    if isinstance(error, (OperationalError, InterfaceError)):
        logger.warning("Database unavailable; answered 503", exc_info=error)
        return DatabaseUnavailableApiError()
    return None


def api_exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, after mapping domain errors: Invalid 400, NotAllowed 403, NotFound 404, Conflict 409.

    A lost database connection is 503 with Retry-After; the bulk ingest is idempotent, so a retry stores each case once.
    """
    return exception_handler(_as_api_exception(error) or error, context)


def page_refusal(request: HttpRequest, error: Exception, *, prefix: str) -> int:
    """Show a refused page action as an error message; returns the status to render the page with."""
    messages.error(request, f"{prefix}: {' '.join(error_messages(error))}")
    return error_http_status(error)
