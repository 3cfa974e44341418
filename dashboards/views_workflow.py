"""Pages of the issue workflow: raise an issue from a theme, the issue with its fixes and timeline, and the
buttons that move a fix. Every write goes through the same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dashboards import charts
from dashboards.forms_workflow import (
    FixEditForm,
    FixProposeForm,
    FixRejectForm,
    FixShipForm,
    FixWithdrawForm,
    IssueKnownErrorForm,
    IssueListFilterForm,
    IssueRaiseForm,
    NoteForm,
)
from dashboards.selectors.fixes import fix_page_data
from dashboards.selectors.issue_impact import issue_impact_data
from improvement.errors import PAGE_REFUSALS, Conflict
from improvement.http_errors import page_refusal
from improvement.models import FixTicket, Theme
from improvement.permissions import user_can_write_issues, user_owns_fix_department
from improvement.workflow.selectors import (
    ISSUE_SORT_KEYS,
    fix_list_visible,
    issue_events_visible,
    issue_fixes_visible,
    issue_linked_cases,
    issue_list_filtered,
    issue_list_themes,
    issue_list_visible,
    priority_suggest,
    theme_evidence,
)
from improvement.workflow.services.fixes import (
    fix_accept,
    fix_edit,
    fix_propose,
    fix_reject,
    fix_ship,
    fix_start,
    fix_withdraw,
)
from improvement.workflow.services.issues import issue_close, issue_raise, issue_reopen, issue_update
from improvement.workflow.transitions import Performer, fix_is_editable, fix_next_statuses

ISSUES_PER_PAGE = 25
SORT_LABELS = {
    "-created": "newest first",
    "created": "oldest first",
    "-priority": "priority, critical first",
    "priority": "priority, low first",
    "-status": "status, closed first",
    "status": "status, open first",
    "title": "title, A to Z",
    "-title": "title, Z to A",
}
# The button (and URL segment) for each status an owner (or, for withdraw, a lead) can move a fix to.
ACTION_FOR_STATUS = {
    FixTicket.Status.ACCEPTED: "accept",
    FixTicket.Status.REJECTED: "reject",
    FixTicket.Status.IN_PROGRESS: "start",
    FixTicket.Status.SHIPPED: "ship",
    FixTicket.Status.WITHDRAWN: "withdraw",
}
# action → (service, form, who may press it); "edit" is not a status change but follows the same table's rules.
TRANSITIONS = {
    "accept": (fix_accept, NoteForm, Performer.DEPARTMENT_OWNER),
    "reject": (fix_reject, FixRejectForm, Performer.DEPARTMENT_OWNER),
    "start": (fix_start, NoteForm, Performer.DEPARTMENT_OWNER),
    "ship": (fix_ship, FixShipForm, Performer.DEPARTMENT_OWNER),
    "withdraw": (fix_withdraw, FixWithdrawForm, Performer.LEAD),
    "edit": (fix_edit, FixEditForm, Performer.LEAD),
}


def _may_act_as(*, user, fix: FixTicket, performer: Performer) -> bool:
    if performer is Performer.LEAD:
        return user_can_write_issues(user)
    return user_owns_fix_department(user=user, fix=fix)


def fixes_with_actions(*, fixes, user) -> list[FixTicket]:
    """The fixes, each with `actions`: the buttons this user may press on it now (none on a closed issue)."""
    result = []
    for fix in fixes:
        actions = []
        for performer in (Performer.DEPARTMENT_OWNER, Performer.LEAD):
            if not _may_act_as(user=user, fix=fix, performer=performer):
                continue
            next_statuses = fix_next_statuses(status=fix.status, performer=performer, issue_status=fix.issue.status)
            actions += [ACTION_FOR_STATUS[status] for status in next_statuses]
            if performer is Performer.LEAD and fix_is_editable(status=fix.status, issue_status=fix.issue.status):
                actions.append("edit")
        fix.actions = actions
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
    """The issues the user may see, filtered, searched, sorted by a column and paged; a parameter it cannot read
    answers 400 naming it, with the list unfiltered."""
    form = IssueListFilterForm(request.GET)
    if form.is_valid():
        filters = form.cleaned_data
        status = 200
    else:
        filters = {"sort": "-created", "page": None}
        status = 400
    issues = issue_list_filtered(
        user=request.user,
        status=filters.get("status", ""),
        priority=filters.get("priority", ""),
        department=filters.get("department"),
        theme=filters.get("theme"),
        search=filters.get("q", ""),
        sort=filters["sort"],
    )
    page = Paginator(issues, ISSUES_PER_PAGE).get_page(filters["page"])
    sort = filters["sort"]
    # A heading sorts ascending on its first click (newest first for "created"), and flips when already sorted by it.
    column_sort = {
        key: (key if sort == f"-{key}" else f"-{key}") if key == "created" else (f"-{key}" if sort == key else key)
        for key in ISSUE_SORT_KEYS
    }
    context = {
        "page_title": "Issues",
        "form": form,
        "page": page,
        "issues": page.object_list,
        "sort": sort,
        "sort_label": SORT_LABELS[sort],
        "ISSUES_PER_PAGE": ISSUES_PER_PAGE,
        "column_sort": column_sort,
        "theme_options": issue_list_themes(user=request.user),
        "departments": form.fields["department"].queryset,
        "filtered": any(filters.get(name) for name in ("status", "priority", "department", "theme", "q")),
    }
    return render(request, "dashboards/workflow/issue_list.html", context, status=status)


def _issue_page(
    request: HttpRequest, issue_id: int, *, propose_form=None, known_error_form=None, status: int = 200
) -> HttpResponse:
    issue = get_object_or_404(issue_list_visible(user=request.user), pk=issue_id)
    can_write = user_can_write_issues(request.user)
    issue_impact = issue_impact_data(issue=issue, user=request.user)
    context = {
        "page_title": issue.title,
        "issue": issue,
        "fixes": fixes_with_actions(fixes=issue_fixes_visible(issue=issue, user=request.user), user=request.user),
        "events": issue_events_visible(issue=issue, user=request.user),
        "linked_cases": issue_linked_cases(issue=issue),
        "issue_impact": issue_impact,
        "issue_impact_chart": (
            charts.chart_html(
                charts.fix_impact_figure(
                    impact=issue_impact["series"],
                    title="Contacts of the issue's themes: actual vs expected without its fixes",
                    marks=issue_impact["marks"],
                )
            )
            if issue_impact
            else ""
        ),
        "can_write": can_write,
        "propose_form": propose_form or (FixProposeForm() if can_write else None),
        "ship_form": FixShipForm(),
        "known_error_form": known_error_form
        or (IssueKnownErrorForm(initial={"root_cause": issue.root_cause, "workaround": issue.workaround})),
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
    messages.success(request, "Issue closed; its open fixes were cancelled.")
    return redirect("dashboards:issue_detail", issue_id=issue.pk)


@login_required
@require_POST
def issue_reopen_page(request: HttpRequest, issue_id: int) -> HttpResponse:
    """Reopen a closed issue (team leads and admins)."""
    if not user_can_write_issues(request.user):
        raise PermissionDenied("Only social team leads and admins reopen issues.")
    issue = get_object_or_404(issue_list_visible(user=request.user), pk=issue_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        issue_reopen(issue=issue, by=request.user, note=note)
    except Conflict as error:
        return _issue_page(request, issue_id, status=page_refusal(request, error, prefix="Not reopened"))
    messages.success(request, "Issue reopened.")
    return redirect("dashboards:issue_detail", issue_id=issue.pk)


@login_required
@require_POST
def issue_known_error_page(request: HttpRequest, issue_id: int) -> HttpResponse:
    """Record the issue's root cause and the agents' workaround (team leads and admins)."""
    if not user_can_write_issues(request.user):
        raise PermissionDenied("Only social team leads and admins edit issues.")
    issue = get_object_or_404(issue_list_visible(user=request.user), pk=issue_id)
    form = IssueKnownErrorForm(request.POST)
    if form.is_valid():
        try:
            issue_update(issue=issue, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Root cause and workaround saved.")
            return redirect("dashboards:issue_detail", issue_id=issue.pk)
    return _issue_page(request, issue_id, known_error_form=form, status=400)


@login_required
def fix_detail(request: HttpRequest, fix_id: int) -> HttpResponse:
    """One fix: its measured impact as a chart and in plain words, the days counted, and its history; 404 for a
    fix the user may not see."""
    fix = get_object_or_404(fix_list_visible(user=request.user), pk=fix_id)
    data = fix_page_data(fix=fix)
    chart = (
        charts.chart_html(
            charts.fix_impact_figure(impact=data["series"], title="Contacts of the issue's themes: actual vs expected")
        )
        if data["series"]
        else ""
    )
    context = {
        "page_title": f"Fix #{fix.pk}",
        "fix": fixes_with_actions(fixes=[fix], user=request.user)[0],
        "data": data,
        "chart": chart,
    }
    return render(request, "dashboards/workflow/fix_detail.html", context)


@login_required
@require_POST
def fix_transition_page(request: HttpRequest, fix_id: int, action: str) -> HttpResponse:
    """Accept, reject, start or ship a fix (owners of its department and admins), or withdraw or edit a proposal
    (team leads and admins), from a button or form of the issue page or the fix queue."""
    if action not in TRANSITIONS:
        raise Http404(f"no fix action {action!r}")
    fix = get_object_or_404(FixTicket.objects.select_related("department", "issue"), pk=fix_id)
    service, form_class, performer = TRANSITIONS[action]
    if not _may_act_as(user=request.user, fix=fix, performer=performer):
        who = "team leads and admins" if performer is Performer.LEAD else f"owners of {fix.department.name}"
        raise PermissionDenied(f"Only {who} may {action} this fix.")
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
    done = "saved" if action == "edit" else f"now {fix.get_status_display().lower()}"
    messages.success(request, f"Fix #{fix.pk} is {done}.")
    return _redirect_back(request, reverse("dashboards:issue_detail", kwargs={"issue_id": fix.issue_id}))
