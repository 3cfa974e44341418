"""Pages of the issue workflow: raise an issue from a theme, the issue with its fixes and timeline, and the
buttons that move a fix. Every write goes through the same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dashboards.forms_workflow import FixProposeForm, FixRejectForm, FixShipForm, IssueRaiseForm, NoteForm
from improvement.errors import PAGE_REFUSALS, Conflict
from improvement.http_errors import page_refusal
from improvement.models import FixTicket, Theme
from improvement.permissions import user_can_write_issues, user_owns_fix_department
from improvement.workflow.selectors import (
    issue_events_visible,
    issue_fixes_visible,
    issue_list_visible,
    priority_suggest,
    theme_evidence,
)
from improvement.workflow.services.fixes import (
    fix_accept,
    fix_propose,
    fix_reject,
    fix_ship,
    fix_start,
)
from improvement.workflow.services.issues import issue_close, issue_raise
from improvement.workflow.transitions import Performer, fix_next_statuses

ISSUE_LIST_LIMIT = 200
# The button (and URL segment) for each status an owner can move a fix to.
ACTION_FOR_STATUS = {
    FixTicket.Status.ACCEPTED: "accept",
    FixTicket.Status.REJECTED: "reject",
    FixTicket.Status.IN_PROGRESS: "start",
    FixTicket.Status.SHIPPED: "ship",
}
TRANSITIONS = {
    "accept": (fix_accept, NoteForm),
    "reject": (fix_reject, FixRejectForm),
    "start": (fix_start, NoteForm),
    "ship": (fix_ship, FixShipForm),
}


def fixes_with_actions(*, fixes, user) -> list[FixTicket]:
    """The fixes, each with `actions`: the buttons this user may press on it now."""
    result = []
    for fix in fixes:
        may_decide = user_owns_fix_department(user=user, fix=fix)
        next_statuses = fix_next_statuses(status=fix.status, performer=Performer.DEPARTMENT_OWNER)
        fix.actions = [ACTION_FOR_STATUS[status] for status in next_statuses] if may_decide else []
        result.append(fix)
    return result


def _redirect_back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


@login_required
def theme_raise_issue(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Raise an improvement issue from a theme (team leads and admins), showing the evidence it will freeze."""
    if not user_can_write_issues(request.user):
        raise PermissionDenied("Only social team leads and admins raise issues.")
    theme = get_object_or_404(Theme, pk=theme_id)
    evidence = theme_evidence(themes=[theme])
    suggested = priority_suggest(evidence=evidence)
    status = 200
    if request.method == "POST":
        form = IssueRaiseForm(request.POST)
        if form.is_valid():
            try:
                issue = issue_raise(by=request.user, themes=[theme], **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Issue #{issue.pk} raised.")
                return redirect("dashboards:issue_detail", issue_id=issue.pk)
        status = 400
    else:
        form = IssueRaiseForm(initial={"title": theme.label, "priority": suggested})
    context = {
        "page_title": f"Raise an issue: {theme.label}",
        "theme": theme,
        "form": form,
        "evidence": evidence,
        "suggested_priority": suggested,
    }
    return render(request, "dashboards/workflow/raise_issue.html", context, status=status)


@login_required
def issue_list(request: HttpRequest) -> HttpResponse:
    """The issues the user may see, newest first."""
    issues = issue_list_visible(user=request.user)[:ISSUE_LIST_LIMIT]
    return render(request, "dashboards/workflow/issue_list.html", {"page_title": "Issues", "issues": issues})


def _issue_page(request: HttpRequest, issue_id: int, *, propose_form=None, status: int = 200) -> HttpResponse:
    issue = get_object_or_404(issue_list_visible(user=request.user), pk=issue_id)
    can_write = user_can_write_issues(request.user)
    context = {
        "page_title": issue.title,
        "issue": issue,
        "fixes": fixes_with_actions(fixes=issue_fixes_visible(issue=issue, user=request.user), user=request.user),
        "events": issue_events_visible(issue=issue, user=request.user),
        "can_write": can_write,
        "propose_form": propose_form or (FixProposeForm() if can_write else None),
        "ship_form": FixShipForm(),
    }
    return render(request, "dashboards/workflow/issue_detail.html", context, status=status)


@login_required
def issue_detail(request: HttpRequest, issue_id: int) -> HttpResponse:
    """The issue, its evidence, the fixes the user may see (with their buttons) and its timeline."""
    return _issue_page(request, issue_id)


@login_required
@require_POST
def issue_propose_fix(request: HttpRequest, issue_id: int) -> HttpResponse:
    """Propose a fix to a department from the issue page (team leads and admins)."""
    if not user_can_write_issues(request.user):
        raise PermissionDenied("Only social team leads and admins propose fixes.")
    issue = get_object_or_404(issue_list_visible(user=request.user), pk=issue_id)
    form = FixProposeForm(request.POST)
    if form.is_valid():
        try:
            fix = fix_propose(issue=issue, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except Conflict as error:
            status = page_refusal(request, error, prefix="Not proposed")
            return _issue_page(request, issue_id, propose_form=form, status=status)
        else:
            messages.success(request, f"Fix proposed to {fix.department.name}; its owners have been emailed.")
            return redirect("dashboards:issue_detail", issue_id=issue.pk)
    return _issue_page(request, issue_id, propose_form=form, status=400)


@login_required
@require_POST
def issue_close_page(request: HttpRequest, issue_id: int) -> HttpResponse:
    """Close the issue (team leads and admins)."""
    if not user_can_write_issues(request.user):
        raise PermissionDenied("Only social team leads and admins close issues.")
    issue = get_object_or_404(issue_list_visible(user=request.user), pk=issue_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        issue_close(issue=issue, by=request.user, note=note)
    except Conflict as error:
        return _issue_page(request, issue_id, status=page_refusal(request, error, prefix="Not closed"))
    messages.success(request, "Issue closed.")
    return redirect("dashboards:issue_detail", issue_id=issue.pk)


@login_required
@require_POST
def fix_transition_page(request: HttpRequest, fix_id: int, action: str) -> HttpResponse:
    """Accept, reject, start or ship a fix from a button (owners of its department and admins)."""
    if action not in TRANSITIONS:
        raise Http404(f"no fix action {action!r}")
    fix = get_object_or_404(FixTicket.objects.select_related("department", "issue"), pk=fix_id)
    if not user_owns_fix_department(user=request.user, fix=fix):
        raise PermissionDenied(f"Only owners of {fix.department.name} may {action} this fix.")
    service, form_class = TRANSITIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
        messages.error(request, f"Fix #{fix.pk} not changed: {problems}")
        return _issue_page(request, fix.issue_id, status=400)
    try:
        fix = service(fix=fix, by=request.user, **form.cleaned_data)
    except PAGE_REFUSALS as error:
        status = page_refusal(request, error, prefix=f"Fix #{fix.pk} not changed")
        return _issue_page(request, fix.issue_id, status=status)
    messages.success(request, f"Fix #{fix.pk} is now {fix.get_status_display().lower()}.")
    return _redirect_back(request, reverse("dashboards:issue_detail", kwargs={"issue_id": fix.issue_id}))
