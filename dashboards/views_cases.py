"""The case browser (all cases, or one theme's), what a lead does with a selection, and the jobs it starts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from rest_framework.request import Request

from cases.api.views import CaseCursorPagination
from cases.selectors import case_list_visible
from dashboards.forms_cases import CaseSelectionForm
from improvement.errors import PAGE_REFUSALS
from improvement.http_errors import page_refusal
from improvement.models import CurationJob, Theme
from improvement.permissions import (
    user_can_curate_themes,
    user_can_read_themes,
    user_can_write_issues,
    user_has_any_role,
)
from improvement.themes.api.cases import CaseBrowseFilter
from improvement.themes.selectors import case_browse_list, curation_job_get, curation_job_progress
from improvement.themes.services.curation import theme_move_cases
from improvement.themes.services.curation_jobs import theme_split_selection_request
from improvement.workflow.services.evidence import issue_link_cases

# The filters the browser's form keeps between pages (the cursor is added by the page links).
FILTER_NAMES = ("search", "brand", "channel", "received_after", "received_before", "unassigned", "theme")


class CaseBrowserPagination(CaseCursorPagination):
    page_size = 25
    page_size_query_param = None


def case_browser_context(request: HttpRequest, *, query: QueryDict, theme: Theme | None = None) -> dict:
    """The browser's filter form, its page of cases and the next/previous links, or the problems with the query.

    With `theme`, the list is that theme's cases whatever the query says (the theme page's browser).
    """
    query = query.copy()
    if theme is not None:
        query["theme"] = str(theme.pk)
    cases = case_browse_list(cases=case_list_visible(user=request.user))
    filters = CaseBrowseFilter(query, queryset=cases)
    context: dict = {"case_filter": filters, "browser_theme": theme, "problems": []}
    if not filters.is_valid():
        context["problems"] = [f"{field}: {' '.join(errors)}" for field, errors in filters.errors.items()]
        context["cases"] = []
        return context
    paginator = CaseBrowserPagination()
    # DRF's cursor reads `cursor` from the URL and builds the page links from it (only a GET page has them).
    context["cases"] = paginator.paginate_queryset(filters.qs, Request(request))
    if request.method == "GET":
        context["next_link"] = paginator.get_next_link()
        context["previous_link"] = paginator.get_previous_link()
    context["kept_query"] = {name: query.get(name, "") for name in FILTER_NAMES}
    if user_can_curate_themes(request.user) or user_can_write_issues(request.user):
        context["selection_form"] = CaseSelectionForm(
            initial={"from_theme": theme.pk if theme else None, "back": request.get_full_path()}
        )
        if theme is not None:
            context["selection_form"].fields["to"].queryset = (
                context["selection_form"].fields["to"].queryset.exclude(pk=theme.pk)
            )
    return context


def _render_browser(request: HttpRequest, *, query: QueryDict, status: int = 200, **extra) -> HttpResponse:
    context = {"page_title": "Cases", **case_browser_context(request, query=query), **extra}
    if context["problems"] and status == 200:
        status = 400
    return render(request, "dashboards/cases/browser.html", context, status=status)


@login_required
def case_browser(request: HttpRequest) -> HttpResponse:
    """Every case, newest first: search, filters, each with its theme and closeness; leads act on a selection."""
    if not user_has_any_role(request.user):
        raise PermissionDenied("Reading cases needs a Fixloop role.")
    return _render_browser(request, query=request.GET)


def _back_url(request: HttpRequest, back: str) -> str:
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("dashboards:case_browser")


@login_required
@require_POST
def case_selection(request: HttpRequest) -> HttpResponse:
    """Move the ticked cases to a theme, split them out as a new theme (a job), or link them to an issue."""
    action = request.POST.get("action")
    allowed = user_can_write_issues(request.user) if action == "link" else user_can_curate_themes(request.user)
    if not allowed:
        raise PermissionDenied("Only social team leads and staff admins act on selected cases.")
    form = CaseSelectionForm(request.POST)
    back = _back_url(request, request.POST.get("back", ""))
    back_query = QueryDict(back.partition("?")[2])
    selected = {str(value) for value in request.POST.getlist("case_ids")}
    if not form.is_valid():
        messages.error(
            request,
            "Not changed: " + "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
        )
        return _render_browser(request, query=back_query, status=400, selected=selected)
    data = form.cleaned_data
    try:
        if data["action"] == "move":
            theme = theme_move_cases(
                case_ids=data["case_ids"], to=data["to"], by=request.user, from_theme=data["from_theme"]
            )
            messages.success(request, f"Moved {len(set(data['case_ids']))} cases to “{theme.label}”.")
            return redirect(back)
        if data["action"] == "split":
            job = theme_split_selection_request(
                case_ids=data["case_ids"], label=data["label"], from_theme=data["from_theme"], by=request.user
            )
            return redirect("dashboards:curation_job", job_id=job.pk)
        new = issue_link_cases(issue=data["issue"], case_ids=data["case_ids"], by=request.user)
        messages.success(
            request,
            f"Linked {len(new)} more case{'s' if len(new) != 1 else ''} to this issue as evidence"
            + (" (the others were linked already)." if len(new) < len(set(data["case_ids"])) else "."),
        )
        return redirect("dashboards:issue_detail", issue_id=data["issue"].pk)
    except ValidationError as error:
        # The page names the field at fault, as the API's `fields` does.
        if hasattr(error, "error_dict"):
            problem = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items())
        else:
            problem = " ".join(error.messages)
        messages.error(request, f"Not changed: {problem}")
        return _render_browser(request, query=back_query, status=400, selected=selected)
    except PAGE_REFUSALS as error:
        status = page_refusal(request, error, prefix="Not changed")
        return _render_browser(request, query=back_query, status=status, selected=selected)


def _job_or_404(request: HttpRequest, job_id: int) -> CurationJob:
    if not user_can_read_themes(request.user):
        raise PermissionDenied("Curation jobs are for Fixloop roles.")
    job = curation_job_get(job_id=job_id)
    if job is None:
        raise Http404("No such job.")
    return job


@login_required
def curation_job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """A split running in the background: its progress, then links to the themes it made (or why it failed)."""
    job = _job_or_404(request, job_id)
    made = list(Theme.objects.defer("centroid").filter(pk__in=job.result_theme_ids).order_by("id"))
    return render(
        request,
        "dashboards/cases/curation_job.html",
        {"page_title": job.get_kind_display(), "job": job, "made": made},
    )


@login_required
def curation_job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    """The job's progress as JSON, polled by its page."""
    return JsonResponse(curation_job_progress(job=_job_or_404(request, job_id)))
