"""Top-level URLs: pages, the REST API, its schema, auth and health."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView

from config.views import ApiRedocDocs, ApiSwaggerDocs, TokenObtainApi, healthz

# "View site" leads to the dashboards: the home page would send an admin straight back to the admin.
admin.site.site_url = reverse_lazy("dashboards:executive")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiSwaggerDocs.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", ApiRedocDocs.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/", include("config.api_router")),
    path("", include("dashboards.urls")),
]

# Errors under /api/ answer JSON in the one error shape; a database outage answers 503 with Retry-After.
handler400 = "improvement.http_errors.bad_request"
handler403 = "improvement.http_errors.permission_denied"
handler404 = "improvement.http_errors.page_not_found"
handler500 = "improvement.http_errors.server_error"
