"""Pages for each role: executives, social team leads and department owners."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dashboards.selectors import landing_url_name_for, owner_departments
from dashboards.views_workflow import fixes_with_actions
from improvement.selectors.issues import fix_queue_for_owner
from improvement.roles import user_is_admin, user_is_department_owner, user_is_executive, user_is_team_lead


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the page for their role."""
    return redirect(landing_url_name_for(request.user))


@login_required
def executive_dashboard(request: HttpRequest) -> HttpResponse:
    if not (user_is_executive(request.user) or user_is_admin(request.user)):
        raise PermissionDenied("The executive dashboard is for executives.")
    return render(request, "dashboards/executive.html", {"page_title": "Executive dashboard"})


@login_required
def lead_dashboard(request: HttpRequest) -> HttpResponse:
    if not (user_is_team_lead(request.user) or user_is_admin(request.user)):
        raise PermissionDenied("The themes page is for social team leads.")
    return render(request, "dashboards/lead.html", {"page_title": "Themes"})


@login_required
def owner_dashboard(request: HttpRequest) -> HttpResponse:
    if not (user_is_department_owner(request.user) or user_is_admin(request.user)):
        raise PermissionDenied("The fix queue is for department owners.")
    queue = {
        name: fixes_with_actions(fixes=fixes, user=request.user)
        for name, fixes in fix_queue_for_owner(user=request.user).items()
    }
    return render(
        request,
        "dashboards/owner.html",
        {"page_title": "Fix queue", "departments": owner_departments(user=request.user), "queue": queue},
    )


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    """Shown to a signed-in user who has not been given a role yet."""
    return render(request, "dashboards/no_role.html", {"page_title": "No role yet"})
