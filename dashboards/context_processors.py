"""Template context shared by every page: the navigation a user's roles allow."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from improvement.permissions import (
    user_can_import_cases,
    user_can_see_executive_dashboard,
    user_can_see_fix_queue,
    user_can_see_theme_overview,
    user_is_admin,
)


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    if user_can_see_executive_dashboard(user):
        items.append({"label": "Executive", "url": reverse("dashboards:executive")})
    if user_can_see_theme_overview(user):
        items.append({"label": "Themes", "url": reverse("dashboards:lead")})
    if user_can_see_fix_queue(user):
        items.append({"label": "Fix queue", "url": reverse("dashboards:owner")})
    if items:
        items.append({"label": "Issues", "url": reverse("dashboards:issue_list")})
        items.append({"label": "Cases", "url": reverse("dashboards:case_browser")})
    if user_can_import_cases(user):
        items.append({"label": "Import", "url": reverse("dashboards:case_import")})
    items.append({"label": "API docs", "url": reverse("api-docs")})
    if user_is_admin(user):
        items.append({"label": "Admin", "url": reverse("admin:index")})
    return {"nav_items": items}
