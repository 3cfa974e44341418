"""Project-level views that belong to no app."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.health import broker_status, database_status
from config.throttling import SignInRateThrottle
from core.json_limits import LimitedFormParser, LimitedJSONParser


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """JSON health of the database and the broker: 200 when both are usable, 503 otherwise."""
    body = {"database": database_status(), "broker": broker_status()}
    healthy = body["database"] == "ok" and body["broker"] in {"ok", "eager"}
    return JsonResponse(body, status=200 if healthy else 503)


class TokenObtainApi(ObtainAuthToken):
    """DRF's token endpoint, rate limited per client address; django-axes locks out repeated wrong passwords."""

    throttle_classes = [SignInRateThrottle]
    # DRF's token view names its own parsers; these enforce the body limits (size 413, nesting depth 400).
    parser_classes = [LimitedFormParser, MultiPartParser, LimitedJSONParser]

    def get_serializer_context(self) -> dict:
        # django-axes flags a lockout on the request given to authenticate(), and its middleware reads the flag on
        # Django's request: give authenticate() that one rather than DRF's wrapper around it.
        return {**super().get_serializer_context(), "request": self.request._request}

    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        # Getting a token is signing in: the signal sets last_login and clears the user's failed attempts (axes).
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token.key})
