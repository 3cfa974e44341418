"""Theme group pages: team leads create, rename, delete and propose groups from the Themes page, through the same
services as the API; a refused change shows the Themes page again with the reason and a 4xx status."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from dashboards.forms import ThemeGroupCreateForm, ThemeGroupRenameForm
from dashboards.views import lead_dashboard
from improvement.errors import PAGE_REFUSALS
from improvement.http_errors import page_refusal
from improvement.models import ThemeGroup
from improvement.permissions import user_can_curate_themes
from improvement.themes.services.groups import (
    theme_group_create,
    theme_group_delete,
    theme_group_rename,
    theme_groups_propose,
)


def _themes_page(request: HttpRequest, *, status: int) -> HttpResponse:
    response = lead_dashboard(request)
    response.status_code = status
    return response


def _group_change(request: HttpRequest, *, form: forms.Form | None, change: Callable[[dict], str]) -> HttpResponse:
    """Run a group change for a curator, then back to the Themes page with its message, or its refusal and a 4xx."""
    if not user_can_curate_themes(request.user):
        raise PermissionDenied("Only social team leads and staff admins edit theme groups.")
    if form is not None and not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
        messages.error(request, f"Not changed: {problems}")
        return _themes_page(request, status=400)
    try:
        message = change(form.cleaned_data if form is not None else {})
    except PAGE_REFUSALS as error:
        return _themes_page(request, status=page_refusal(request, error, prefix="Not changed"))
    messages.success(request, message)
    return redirect("dashboards:lead")


@login_required
@require_POST
def theme_group_create_page(request: HttpRequest) -> HttpResponse:
    """Create a group from a name and the chosen themes."""

    def change(data: dict) -> str:
        group = theme_group_create(name=data["name"], themes=list(data["themes"]), by=request.user)
        return f"Group “{group.name}” created with {group.themes.count()} themes."

    return _group_change(request, form=ThemeGroupCreateForm(request.POST), change=change)


@login_required
@require_POST
def theme_group_rename_page(request: HttpRequest, group_id: int) -> HttpResponse:
    """Rename a group."""
    group = get_object_or_404(ThemeGroup, pk=group_id)

    def change(data: dict) -> str:
        renamed = theme_group_rename(group=group, name=data["name"], by=request.user)
        return f"Group renamed to “{renamed.name}”."

    return _group_change(request, form=ThemeGroupRenameForm(request.POST), change=change)


@login_required
@require_POST
def theme_group_delete_page(request: HttpRequest, group_id: int) -> HttpResponse:
    """Delete a group that holds no theme."""
    group = get_object_or_404(ThemeGroup, pk=group_id)

    def change(data: dict) -> str:
        theme_group_delete(group=group, by=request.user)
        return f"Group “{group.name}” deleted."

    return _group_change(request, form=None, change=change)


@login_required
@require_POST
def theme_groups_propose_page(request: HttpRequest) -> HttpResponse:
    """Group the themes that are in no group by centroid similarity."""

    def change(data: dict) -> str:
        groups = theme_groups_propose(by=request.user)
        return f"Proposed {len(groups)} groups." if groups else "No groups to propose: too few ungrouped themes."

    return _group_change(request, form=None, change=change)
