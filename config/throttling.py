"""API rate limits: sign-ins per client address and writes per user, with their rates read from settings."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _RateFromCurrentSettings:
    """Reads the scope's rate when the throttle is made, not when the class is defined (DRF's default), so a
    changed `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (environment or test settings) takes effect."""

    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class SignInRateThrottle(_RateFromCurrentSettings, AnonRateThrottle):
    """Token requests per client address (whoever they claim to be)."""

    scope = "sign_in"


class WriteRateThrottle(_RateFromCurrentSettings, UserRateThrottle):
    """Writes (POST, PUT, PATCH, DELETE) per signed-in user, or per address when anonymous; reads are not limited."""

    scope = "writes"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
