"""The project's URLs plus views that fail on purpose, to see how failures are answered."""

from __future__ import annotations

from django.db import OperationalError
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401 - the handlers

SECRET = "internal detail that must not leak"


def plain_view_that_crashes(request):
    raise RuntimeError(SECRET)


@api_view(["GET"])
@permission_classes([AllowAny])
def api_view_that_crashes(request):
    raise RuntimeError(SECRET)


@api_view(["GET"])
@permission_classes([AllowAny])
def api_view_whose_database_is_gone(request):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


urlpatterns = [
    path("api/test/plain-crash/", plain_view_that_crashes),
    path("api/test/crash/", api_view_that_crashes),
    path("api/test/database-gone/", api_view_whose_database_is_gone),
    path("test/page-crash/", plain_view_that_crashes),
    *urlpatterns,
]
