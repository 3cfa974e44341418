"""Pages for each role: executives, social team leads and department owners."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dashboards import charts
from dashboards.forms import (
    DashboardFilterForm,
    ThemeAcceptLabelForm,
    ThemeGroupChoiceForm,
    ThemeGroupCreateForm,
    ThemeMergeForm,
    ThemeRenameForm,
    ThemeSeedForm,
    ThemeSnoozeForm,
    ThemeSplitForm,
    dashboard_filters_problem,
)
from dashboards.selectors.common import (
    DashboardFilters,
    dashboard_filter_choices,
    dashboard_filters_resolve,
    landing_url_name_for,
    owner_departments,
)
from dashboards.selectors.executive import executive_dashboard, executive_filter_captions
from dashboards.selectors.fixes import fix_impact_series, owner_impacts
from dashboards.selectors.lead import (
    LEAD_THEME_DEFAULT_SORT,
    LEAD_THEME_SORT_KEYS,
    lead_theme_overview,
    theme_page_data,
)
from dashboards.views_cases import case_browser_context
from dashboards.views_workflow import fixes_with_actions
from improvement.errors import PAGE_REFUSALS
from improvement.http_errors import page_refusal
from improvement.models import CurationJob, Theme
from improvement.permissions import (
    user_can_curate_themes,
    user_can_read_themes,
    user_can_see_executive_dashboard,
    user_can_see_fix_queue,
    user_can_see_theme_overview,
)
from improvement.themes.services.curation import theme_label_accept, theme_merge, theme_rename
from improvement.themes.services.curation_jobs import theme_split_kmeans_request
from improvement.themes.services.groups import theme_move_to_group
from improvement.themes.services.seeded import theme_seed_from_csv
from improvement.themes.services.snooze import theme_snooze, theme_unsnooze
from improvement.workflow.selectors import fix_queue_for_owner


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the page for their role."""
    return redirect(landing_url_name_for(request.user))


def dashboard_filters_from_query(query: QueryDict) -> tuple[DashboardFilterForm, DashboardFilters | None, list[str]]:
    """The bound filter form, the resolved filters (None when invalid) and the problems to show."""
    form = DashboardFilterForm(query)
    if not form.is_valid():
        problems = [
            f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
            for field, errors in form.errors.items()
        ]
        return form, None, problems
    filters = dashboard_filters_resolve(**form.cleaned_data)
    problem = dashboard_filters_problem(start=filters.start, end=filters.end)
    return form, (None if problem else filters), ([problem] if problem else [])


def fixes_page_from_query(query: QueryDict) -> tuple[int, str | None]:
    """The page of measured fixes asked for (1 by default) and the problem with it, if any."""
    raw = query.get("fixes_page", "1")
    if not raw.isdigit() or int(raw) < 1:
        return 1, f"fixes_page: {raw!r} is not a page number (1 or more)."
    return int(raw), None


def executive_charts(data: dict) -> dict:
    """The executive dashboard's chart divs, built from `executive_dashboard`'s values."""
    dates = data["dates"]

    def sparklines(rows: list[dict]) -> list[dict]:
        return [
            {
                **row,
                "sparkline": charts.chart_html(
                    charts.sparkline_figure(dates=dates, counts=row["series"], label=row["label"]), static=True
                ),
            }
            for row in rows
        ]

    return {
        "total": charts.chart_html(charts.total_volume_figure(dates=dates, counts=data["total"]["series"])),
        "by_volume": sparklines(data["top_themes_by_volume"]),
        "by_growth": sparklines(data["top_themes_by_growth"]),
        "share": charts.chart_html(charts.theme_share_figure(**data["theme_share"])),
        "theme_lines": [
            charts.chart_html(
                charts.theme_line_figure(dates=dates, counts=line["series"], label=line["label"], fixes=line["fixes"])
            )
            for line in data["theme_lines"]
        ],
        "fix_impacts": [
            {
                **impact,
                "chart": charts.chart_html(
                    charts.fix_impact_figure(
                        impact=impact,
                        title=f"Fix #{impact['fix_id']} ({impact['department']}): actual vs expected",
                        height=240,
                        compact=True,
                    )
                ),
            }
            for impact in data["fix_impacts"]
        ],
        "avoided": charts.chart_html(
            charts.contacts_avoided_figure(
                **{key: data["contacts_avoided"][key] for key in ("overall", "by_department")}
            )
        )
        if data["contacts_avoided"]["fix_count"]
        else "",
    }


@login_required
def executive_dashboard_page(request: HttpRequest) -> HttpResponse:
    """Contact volume, top and growing themes, theme share, fixes on their themes' lines, impact and scorecard."""
    if not user_can_see_executive_dashboard(request.user):
        raise PermissionDenied("The executive dashboard is for executives.")
    form, filters, problems = dashboard_filters_from_query(request.GET)
    fixes_page, page_problem = fixes_page_from_query(request.GET)
    context = {
        "page_title": "Executive dashboard",
        "form": form,
        "problems": problems + ([page_problem] if page_problem else []),
        "choices": dashboard_filter_choices(),
    }
    if filters is None or page_problem:
        return render(request, "dashboards/executive.html", context, status=400)
    data = executive_dashboard(filters=filters, user=request.user, fixes_page=fixes_page)
    context.update(
        {
            "filters": filters,
            "captions": executive_filter_captions(filters=filters),
            "filter_query": urlencode({key: value for key, value in filters.as_query().items() if value}),
            "data": data,
            "charts": executive_charts(data),
        }
    )
    return render(request, "dashboards/executive.html", context)


@login_required
def lead_dashboard(request: HttpRequest) -> HttpResponse:
    """Active themes with volume, trend, sparkline, badges and the unassigned share."""
    if not user_can_see_theme_overview(request.user):
        raise PermissionDenied("The themes page is for social team leads.")
    form, filters, problems = dashboard_filters_from_query(request.GET)
    sort = request.GET.get("sort") or LEAD_THEME_DEFAULT_SORT
    if sort.removeprefix("-") not in LEAD_THEME_SORT_KEYS:
        choices = ", ".join(LEAD_THEME_SORT_KEYS)
        problems.append(f"sort: {sort!r} is not a column to sort by; choose one of {choices}, with - for descending.")
    context = {"page_title": "Themes", "form": form, "problems": problems, "choices": dashboard_filter_choices()}
    if filters is None or problems:
        return render(request, "dashboards/lead.html", context, status=400)
    overview = lead_theme_overview(
        filters=filters,
        chosen_start=bool(form.cleaned_data.get("start")),
        sort=sort,
        snoozed=request.GET.get("snoozed") == "1",
    )
    # A heading sorts descending on its first click (ascending for the name) and flips when already sorted by it.
    overview["column_sort"] = {
        key: (f"-{key}" if sort == key else key) if key == "label" else (key if sort == f"-{key}" else f"-{key}")
        for key in LEAD_THEME_SORT_KEYS
    }
    for row in overview["themes"]:
        row["sparkline"] = charts.chart_html(
            charts.sparkline_figure(dates=overview["dates"], counts=row["series"], label=row["theme"].label),
            static=True,
        )
    # The form shows the window the table shows, so pressing Apply unchanged keeps the same numbers.
    shown_filters = dataclasses.replace(filters, start=overview["window_start"])
    context.update(
        {
            "filters": shown_filters,
            "overview": overview,
            "keep_sort": sort,
            "can_curate": user_can_curate_themes(request.user),
        }
    )
    if context["can_curate"]:
        context["group_create_form"] = ThemeGroupCreateForm()
    return render(request, "dashboards/lead.html", context)


def _theme_page(request: HttpRequest, theme: Theme, *, status: int = 200, **forms) -> HttpResponse:
    filters = dashboard_filters_resolve()
    data = theme_page_data(theme=theme, filters=filters, user=request.user)
    can_curate = user_can_curate_themes(request.user)
    browser = case_browser_context(request, query=request.GET, theme=theme)
    if browser["problems"] and status == 200:
        status = 400
    context = {
        **browser,
        "page_title": theme.label,
        "theme": theme,
        "data": data,
        "filters": filters,
        "can_curate": can_curate,
        "chart": charts.chart_html(
            charts.theme_line_figure(
                dates=data["dates"],
                counts=data["series"],
                label=theme.label,
                fixes=data["fixes"],
                height=340,
            )
        ),
    }
    if can_curate and theme.status == Theme.Status.ACTIVE:
        context.update(
            {
                "snooze_form": forms.get("snooze_form") or ThemeSnoozeForm(),
                "rename_form": forms.get("rename_form") or ThemeRenameForm(initial={"label": theme.label}),
                "merge_form": forms.get("merge_form") or ThemeMergeForm(theme=theme),
                "split_form": forms.get("split_form") or ThemeSplitForm(),
                "group_form": forms.get("group_form") or ThemeGroupChoiceForm(initial={"group": theme.group_id}),
            }
        )
    return render(request, "dashboards/theme_detail.html", context, status=status)


@login_required
def theme_detail(request: HttpRequest, theme_id: int) -> HttpResponse:
    """A theme: label, keywords, sample cases, volume with its fixes, issues, history and curation forms."""
    if not user_can_read_themes(request.user):
        raise PermissionDenied("Reading themes needs a Fixloop role.")
    theme = get_object_or_404(Theme.objects.defer("centroid"), pk=theme_id)
    return _theme_page(request, theme)


def _curate(
    request: HttpRequest, theme_id: int, *, form_name: str, form, service, success: Callable[[Theme, object], str]
) -> HttpResponse:
    if not user_can_curate_themes(request.user):
        raise PermissionDenied("Only social team leads and staff admins curate themes.")
    theme = get_object_or_404(Theme.objects.defer("centroid"), pk=theme_id)
    if not form.is_valid():
        messages.error(request, "Not changed: " + "; ".join(" ".join(errors) for errors in form.errors.values()))
        return _theme_page(request, theme, status=400, **{form_name: form})
    try:
        result = service(theme=theme, by=request.user, **form.cleaned_data)
    except PAGE_REFUSALS as error:
        return _theme_page(
            request, theme, status=page_refusal(request, error, prefix="Not changed"), **{form_name: form}
        )
    if isinstance(result, CurationJob):
        return redirect("dashboards:curation_job", job_id=result.pk)
    messages.success(request, success(theme, result))
    return redirect("dashboards:theme_detail", theme_id=result.pk)


@login_required
@require_POST
def theme_rename_page(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Rename the theme (team leads and admins), through the same service as the API."""
    return _curate(
        request,
        theme_id,
        form_name="rename_form",
        form=ThemeRenameForm(request.POST),
        service=theme_rename,
        success=lambda theme, result: f"Renamed to “{result.label}”.",
    )


@login_required
@require_POST
def theme_merge_page(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Merge the theme into another active theme (team leads and admins); shows the survivor."""
    theme = get_object_or_404(Theme.objects.only("id"), pk=theme_id)
    return _curate(
        request,
        theme_id,
        form_name="merge_form",
        form=ThemeMergeForm(request.POST, theme=theme),
        service=theme_merge,
        success=lambda theme, result: f"Merged “{theme.label}” into this theme.",
    )


@login_required
@require_POST
def theme_split_page(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Queue splitting the theme into 2–10 parts by re-clustering its cases (team leads and admins); shows the job."""
    return _curate(
        request,
        theme_id,
        form_name="split_form",
        form=ThemeSplitForm(request.POST),
        service=theme_split_kmeans_request,
        success=lambda theme, result: "Split queued.",
    )


@login_required
@require_POST
def theme_accept_label_page(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Take the label the last refit suggested (team leads and admins), through the same service as the API."""
    return _curate(
        request,
        theme_id,
        form_name="accept_label_form",
        form=ThemeAcceptLabelForm(request.POST),
        service=theme_label_accept,
        success=lambda theme, result: f"Renamed to the suggested “{result.label}”.",
    )


@login_required
@require_POST
def theme_group_page(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Move the theme into a group, or out of any group (team leads and admins)."""
    return _curate(
        request,
        theme_id,
        form_name="group_form",
        form=ThemeGroupChoiceForm(request.POST),
        service=theme_move_to_group,
        success=lambda theme, result: (
            f"Moved to group “{result.group.name}”." if result.group_id else "Taken out of its group."
        ),
    )


@login_required
@require_POST
def theme_snooze_page(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Snooze the theme until it escalates or until a date (team leads and admins)."""
    return _curate(
        request,
        theme_id,
        form_name="snooze_form",
        form=ThemeSnoozeForm(request.POST),
        service=theme_snooze,
        success=lambda theme, result: (
            f"Snoozed until {result.snoozed_until:%-d %b %Y}."
            if result.snoozed_until
            else "Snoozed until it escalates."
        ),
    )


@login_required
@require_POST
def theme_unsnooze_page(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Bring a snoozed theme back to the themes list (team leads and admins)."""
    return _curate(
        request,
        theme_id,
        form_name="unsnooze_form",
        form=forms.Form(request.POST),
        service=theme_unsnooze,
        success=lambda theme, result: "Back on the themes list.",
    )


@login_required
def theme_seed_page(request: HttpRequest) -> HttpResponse:
    """Seed themes from a taxonomy: a pasted list or a CSV upload (team leads and admins)."""
    if not user_can_curate_themes(request.user):
        raise PermissionDenied("Only social team leads and staff admins curate themes.")
    form = ThemeSeedForm(request.POST or None, request.FILES or None)
    context = {"page_title": "Seed themes", "form": form}
    if request.method != "POST":
        return render(request, "dashboards/theme_seed.html", context)
    if not form.is_valid():
        return render(request, "dashboards/theme_seed.html", context, status=400)
    upload = form.cleaned_data.get("file")
    try:
        if upload is not None:
            themes = theme_seed_from_csv(data=upload.read(), by=request.user)
        else:
            themes = theme_seed_from_csv(data=form.cleaned_data["taxonomy"], by=request.user, header_required=False)
    except PAGE_REFUSALS as error:
        status = page_refusal(request, error, prefix="Nothing seeded")
        return render(request, "dashboards/theme_seed.html", context, status=status)
    labels = ", ".join(f"“{theme.label}”" for theme in themes)
    messages.success(request, f"Seeded {len(themes)} themes: {labels}. Cases join them at the next clustering run.")
    return redirect("dashboards:lead")


@login_required
def owner_dashboard(request: HttpRequest) -> HttpResponse:
    """The owner's queue: waiting for a decision, in progress, and shipped with verdicts and impact charts."""
    if not user_can_see_fix_queue(request.user):
        raise PermissionDenied("The fix queue is for department owners.")
    queue = {
        name: fixes_with_actions(fixes=fixes, user=request.user)
        for name, fixes in fix_queue_for_owner(user=request.user).items()
    }
    impacts = owner_impacts(fix_ids=[fix.pk for fix in queue["shipped"]])
    for fix in queue["shipped"]:
        impact = impacts.get(fix.pk)
        fix.impact_row = impact
        if impact is not None and impact.dates:
            fix.impact_chart = charts.chart_html(
                charts.fix_impact_figure(
                    impact={**fix_impact_series(impact), "shipped_on": fix.shipped_on.isoformat()},
                    title=f"Fix #{fix.pk}: actual vs expected",
                    height=220,
                    compact=True,
                )
            )
    return render(
        request,
        "dashboards/owner.html",
        {"page_title": "Fix queue", "departments": owner_departments(user=request.user), "queue": queue},
    )


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    """Shown to a signed-in user who has not been given a role yet."""
    return render(request, "dashboards/no_role.html", {"page_title": "No role yet"})
