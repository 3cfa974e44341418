"""The domain's errors: services raise these, and improvement.http_errors maps them to HTTP in one place.

DomainError
├── Invalid        400  bad input (a Django ValidationError, so forms and field errors keep working)
├── NotAllowed     403  the user's role may not do this (a Django PermissionDenied)
├── NotFound       404  the thing asked for does not exist
└── Conflict       409  the current state does not allow it
    ├── ThemeStateError       a theme or clustering run in the wrong state
    ├── TransitionNotAllowed  a fix or issue transition the table does not allow
    ├── ImpactUnavailable     a fix that cannot be measured (yet)
    └── ClusteringError       a clustering run that cannot proceed with the stored data
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    http_status = 400


class Invalid(DomainError, ValidationError):
    """Input that breaks a rule; carries field errors like a Django ValidationError."""

    http_status = 400


class NotAllowed(DomainError, PermissionDenied):
    """The user's role may not do this; the message says who may."""

    http_status = 403


class NotFound(DomainError):
    """The object asked for does not exist."""

    http_status = 404


class Conflict(DomainError):
    """The operation makes no sense in the object's current state."""

    http_status = 409


class ThemeStateError(Conflict):
    """A theme or clustering run is not in a state that allows the operation."""


class TransitionNotAllowed(Conflict):
    """A transition the table does not allow from the current status."""


class ImpactUnavailable(Conflict):
    """The fix cannot be measured (not shipped, or too little data); the message says why."""


class ClusteringError(Conflict):
    """A clustering run cannot proceed with the stored data (nothing to cluster, a malformed embedding)."""


# What a page shows beside its form (Invalid and full_clean()'s ValidationError, Conflict, NotFound); NotAllowed is
# left to Django's 403 handling.
PAGE_REFUSALS = (ValidationError, Conflict, NotFound)


def error_messages(error: Exception) -> list[str]:
    """The human-readable messages of an error (a ValidationError's messages, or its text)."""
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error)]
