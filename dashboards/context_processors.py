"""Template context shared by every page: the navigation a user's roles allow."""
from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from improvement.roles import user_is_admin, user_is_department_owner, user_is_executive, user_is_team_lead


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    is_admin = user_is_admin(user)
    items = []
    if user_is_executive(user) or is_admin:
        items.append({"label": "Executive", "url": reverse("dashboards:executive")})
    if user_is_team_lead(user) or is_admin:
        items.append({"label": "Themes", "url": reverse("dashboards:lead")})
    if user_is_department_owner(user) or is_admin:
        items.append({"label": "Fix queue", "url": reverse("dashboards:owner")})
    if items:
        items.append({"label": "Issues", "url": reverse("dashboards:issue_list")})
    if is_admin:
        items.append({"label": "Admin", "url": reverse("admin:index")})
    return {"nav_items": items}
