"""CSV exports of themes, issues and fixes (with their verdicts and impact), limited to what the user may see."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from dashboards.selectors.common import DashboardFilters
from dashboards.selectors.exports import export_fix_rows, export_issue_rows, export_theme_rows
from dashboards.views import dashboard_filters_from_query
from improvement.permissions import user_can_read_themes, user_has_any_role


def _csv_response(filename: str, rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerows(rows)
    return response


FILTER_FIELDS = ("start", "end", "brand", "channel")


def _export_filters(request: HttpRequest) -> tuple[DashboardFilters | None, HttpResponse | None]:
    """The dashboard's filters when the link carries any (None: export everything), or a 400 naming the problem."""
    if not any(request.GET.get(field) for field in FILTER_FIELDS):
        return None, None
    _, filters, problems = dashboard_filters_from_query(request.GET)
    if filters is None:
        return None, HttpResponseBadRequest("Not exported: " + " ".join(problems), content_type="text/plain")
    return filters, None


def _require_role(user: User) -> None:
    if not user_has_any_role(user):
        raise PermissionDenied("Exports need a Fixloop role.")


@login_required
def themes_csv(request: HttpRequest) -> HttpResponse:
    """Every theme with its status, size, keywords and volume over the last 28 counted days."""
    if not user_can_read_themes(request.user):
        raise PermissionDenied("Reading themes needs a Fixloop role.")
    filters, refusal = _export_filters(request)
    return refusal or _csv_response("themes.csv", export_theme_rows(filters=filters))


@login_required
def issues_csv(request: HttpRequest) -> HttpResponse:
    """The issues the user may see, with their themes and fix counts."""
    _require_role(request.user)
    filters, refusal = _export_filters(request)
    return refusal or _csv_response("issues.csv", export_issue_rows(user=request.user, filters=filters))


@login_required
def fixes_csv(request: HttpRequest) -> HttpResponse:
    """The fixes the user may see, with their verdicts and measured impact."""
    _require_role(request.user)
    filters, refusal = _export_filters(request)
    return refusal or _csv_response("fixes.csv", export_fix_rows(user=request.user, filters=filters))
