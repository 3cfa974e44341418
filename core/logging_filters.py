"""Logging filters named from settings.LOGGING."""

from __future__ import annotations

import logging

# Refusals the app answers on purpose: the view already said why, so a traceback would only be noise.
EXPECTED_REFUSAL_STATUSES = frozenset({403, 404})


class ExpectedRefusalWithoutTraceback(logging.Filter):
    """Keeps a 403/404 that `django.request` logs as its one warning line, without the exception's traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in EXPECTED_REFUSAL_STATUSES:
            record.exc_info = None
            record.exc_text = None
        return True
