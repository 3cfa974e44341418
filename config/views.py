"""Project-level views that belong to no app."""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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


class SignInFirstForDocs(APIView):
    """The API docs pages: a visitor who is not signed in is sent to the login page (then back) instead of getting
    the API's JSON 401; a refused token (AuthenticationFailed) still gets the API's answer."""

    # It may answer a redirect, not only a DRF Response.
    def handle_exception(self, exc: Exception) -> HttpResponseBase:  # type: ignore[override]
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class ApiSwaggerDocs(SignInFirstForDocs, SpectacularSwaggerSplitView):
    """Swagger UI, from the vendored sidecar files; its start-up script is served as a file (`?script=`), since
    the Content-Security-Policy refuses inline scripts."""


# ReDoc runs its search in a web worker it creates from a blob: URL; only this page's policy allows that. ReDoc also
# asks Redocly's CDN for its logo: the policy refuses it, so nothing leaves the machine (ReDoc hides the logo).
REDOC_CSP_ADDITIONS = {"worker-src": ["'self'", "blob:"]}


@method_decorator(csp_update(REDOC_CSP_ADDITIONS), name="dispatch")
class ApiRedocDocs(SignInFirstForDocs, SpectacularRedocView):
    """ReDoc, from the vendored sidecar files, without the web fonts the stock template loads from Google."""

    template_name = "api_docs/redoc.html"
