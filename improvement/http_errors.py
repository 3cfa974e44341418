"""The one place that turns errors into HTTP: the DRF exception handler, Django's error views, a page helper.

Every error the API answers, 5xx included, is JSON in one shape (documented in the schema as `Error`):

    {"detail": "<one line for people>", "code": "<machine-readable>", "fields": {"<field>": ["<message>", ...]}}

`fields` names the input fields at fault (nested ones joined with dots, e.g. `case_ids.0`), and is empty when the
error is about the request as a whole. Domain errors map as Invalid 400, NotAllowed 403, NotFound 404,
Conflict 409; Django's ValidationError and PermissionDenied are mapped too, so a service may raise either family.
A database that cannot be reached answers 503 with `Retry-After`; any other failure a plain 500, never a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.urls import Resolver404
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.json_limits import too_large_message
from improvement.errors import DomainError, NotFound, error_messages

API_PATH_PREFIX = "/api/"
# The database went away (restart, failover, network): worth retrying, unlike any other failure.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
NON_FIELD_KEY = "non_field_errors"
DATABASE_UNAVAILABLE_DETAIL = "The database is unavailable; retry shortly."

logger = logging.getLogger(__name__)


class DatabaseUnavailableApiError(exceptions.APIException):
    """The database went away (restart, failover) inside an API view; its uncommitted writes were rolled back."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DATABASE_UNAVAILABLE_DETAIL
    default_code = "database_unavailable"
    # DRF's handler sends `wait` as Retry-After.
    wait: int | None = None


class ConflictApiError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The current state does not allow this."
    default_code = "conflict"


def error_http_status(error: Exception) -> int:
    """The HTTP status a domain (or Django validation/permission) error is answered with."""
    if isinstance(error, DjangoValidationError):
        return status.HTTP_400_BAD_REQUEST
    if isinstance(error, DjangoPermissionDenied):
        return status.HTTP_403_FORBIDDEN
    if isinstance(error, DomainError):
        return error.http_status
    return status.HTTP_500_INTERNAL_SERVER_ERROR


def error_body(*, detail: str, code: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The one JSON shape of an API error."""
    return {"detail": detail, "code": code, "fields": dict(fields or {})}


def _field_messages(errors: Any, prefix: str) -> dict[str, list[str]]:
    """DRF's nested field errors as flat `a.b.0` keys, each with its list of messages."""
    if isinstance(errors, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            flat.update(_field_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(errors, list) and any(isinstance(item, Mapping | list) for item in errors):
        flat = {}
        for position, value in enumerate(errors):
            if value:
                flat.update(_field_messages(value, f"{prefix}.{position}" if prefix else str(position)))
        return flat
    items = errors if isinstance(errors, list) else [errors]
    return {prefix or NON_FIELD_KEY: [str(item) for item in items]}


def _validation_summary(fields: Mapping[str, list[str]]) -> str:
    return " ".join(
        " ".join(messages_) if name == NON_FIELD_KEY else f"{name}: {' '.join(messages_)}"
        for name, messages_ in fields.items()
    )


def _api_exception_body(error: exceptions.APIException) -> dict[str, Any]:
    if isinstance(error, exceptions.ValidationError):
        fields = _field_messages(error.detail, "")
        return error_body(detail=_validation_summary(fields) or "Invalid input.", code="invalid", fields=fields)
    detail = error.detail
    if isinstance(detail, Mapping | list):
        # Another APIException raised with structured detail: its messages are still field errors.
        fields = _field_messages(detail, "")
        return error_body(detail=_validation_summary(fields), code=error.default_code, fields=fields)
    return error_body(detail=str(detail), code=getattr(detail, "code", None) or error.default_code)


def _as_api_exception(error: Exception) -> exceptions.APIException | None:
    if isinstance(error, DjangoValidationError):
        return exceptions.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)
    if isinstance(error, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(error) or None)
    if isinstance(error, NotFound | Http404):
        return exceptions.NotFound(str(error) or None)
    if isinstance(error, DomainError):
        return ConflictApiError(str(error)) if error.http_status == status.HTTP_409_CONFLICT else None
    if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
        logger.warning("Database unavailable; answered 503", exc_info=error)
        unavailable = DatabaseUnavailableApiError()
        unavailable.wait = settings.API_RETRY_AFTER_SECONDS
        return unavailable
    return None


def api_exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, after mapping domain errors (Invalid 400, NotAllowed 403, NotFound 404, Conflict 409) and a
    lost database (503 with Retry-After; the bulk ingest is idempotent, so a retry stores each case once), with the
    body in the one error shape. Anything else propagates to `server_error` (500, or 503 for the database)."""
    mapped = _as_api_exception(error) or error
    response = exception_handler(mapped, context)
    if response is not None and isinstance(mapped, exceptions.APIException):
        response.data = _api_exception_body(mapped)
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the database cannot be reached right now."""
    detail = DATABASE_UNAVAILABLE_DETAIL
    if _is_api(request):
        response: HttpResponse = JsonResponse(error_body(detail=detail, code="database_unavailable"), status=503)
    else:
        response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(settings.API_RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: JSON under /api/, Django's page elsewhere. A body over DATA_UPLOAD_MAX_MEMORY_SIZE (which Django
    reports as a 400) answers 413 naming the limit; too many form fields name DATA_UPLOAD_MAX_NUMBER_FIELDS."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        detail = too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return JsonResponse(error_body(detail=detail, code="request_too_large"), status=413)
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        detail = f"The request has more than {limit:,} fields (DATA_UPLOAD_MAX_NUMBER_FIELDS)."
        return JsonResponse(error_body(detail=detail, code="too_many_fields"), status=400)
    return JsonResponse(error_body(detail="Bad request.", code="bad_request"), status=400)


DEFAULT_DENIAL_REASON = "You do not have permission to see this page."
SERVER_ERROR_TEXT = "Server error. The failure was logged; try again, or go back to the home page."


def _error_page(request: HttpRequest, template_name: str, *, status_code: int, reason: str) -> HttpResponse:
    """A styled error page naming the reason, with the site's navigation (it renders with the request)."""
    body = loader.render_to_string(template_name, {"reason": reason, "request_path": request.path}, request=request)
    return HttpResponse(body, status=status_code)


def _not_found_reason(request: HttpRequest, exception: Exception) -> str:
    message = exception.args[0] if exception.args else None
    if isinstance(exception, Resolver404) or not isinstance(message, str) or not message:
        # The URL resolver's own 404 carries a dict of tried patterns, not words for people.
        return f"There is no page at {request.path}."
    return message


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: JSON under /api/; elsewhere the 403 page with the reason the view gave and the navigation."""
    if _is_api(request):
        detail = str(exception) or "You do not have permission to perform this action."
        return JsonResponse(error_body(detail=detail, code="permission_denied"), status=403)
    return _error_page(request, "403.html", status_code=403, reason=str(exception) or DEFAULT_DENIAL_REASON)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under /api/ (an unknown API path); elsewhere the 404 page with the reason."""
    if _is_api(request):
        return JsonResponse(error_body(detail=f"No API endpoint at {request.path}.", code="not_found"), status=404)
    return _error_page(request, "404.html", status_code=404, reason=_not_found_reason(request, exception))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 with Retry-After when the database is unreachable; otherwise 500, as JSON under /api/.

    Django calls it while handling the exception (already logged), so the exception is the one being handled.
    The 500 page renders without the request: no context processor, so no database query and no user.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable_response(request)
    if _is_api(request):
        return JsonResponse(error_body(detail="Server error.", code="server_error"), status=500)
    try:
        body = loader.render_to_string("500.html")
    except Exception:  # noqa: BLE001  (the error page itself must never fail; plain text is the last resort)
        logger.exception("The 500 page could not be rendered")
        return HttpResponse(SERVER_ERROR_TEXT, status=500, content_type="text/plain; charset=utf-8")
    return HttpResponse(body, status=500)


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a message for people, a code for programs, and the input fields at fault.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail", "code", "fields"],
}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the `Error` schema on every documented 4xx/5xx and as the default."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code[0] in "45" and "content" not in response:
                    response["content"] = error_content
            responses.setdefault("default", {"description": "An error (see `Error`).", "content": error_content})
    return result


def page_refusal(request: HttpRequest, error: Exception, *, prefix: str) -> int:
    """Show a refused page action as an error message; returns the status to render the page with."""
    messages.error(request, f"{prefix}: {' '.join(error_messages(error))}")
    return error_http_status(error)
