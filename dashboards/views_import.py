"""The import page: upload a contacts file, follow its import, read and download the rows it refused."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from cases.models import CaseImport
from cases.selectors import case_import_get, case_import_progress, case_import_recent
from cases.services.file_import import ImportFileError
from cases.services.upload_import import case_import_upload, upload_size_limit_text
from dashboards.forms_import import CaseImportForm
from improvement.permissions import user_can_import_cases

REJECTIONS_SHOWN = 50


def _require_importer(request: HttpRequest) -> None:
    if not user_can_import_cases(request.user):
        raise PermissionDenied("Only social team leads and admins import contacts.")


def _case_import_or_404(import_id: int) -> CaseImport:
    case_import = case_import_get(import_id=import_id)
    if case_import is None:
        raise Http404("No such import.")
    return case_import


@login_required
def case_import_page(request: HttpRequest) -> HttpResponse:
    """The upload form and the latest imports; a valid upload goes to its progress page."""
    _require_importer(request)
    status = 200
    if request.method == "POST":
        form = CaseImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                case_import = case_import_upload(
                    by=request.user,
                    file_name=upload.name,
                    content=upload.read(),
                    file_format=form.cleaned_data["file_format"],
                    column_map=form.cleaned_data["column_map"],
                    default_brand=form.cleaned_data["brand"],
                    default_channel=form.cleaned_data["channel"],
                    encoding=form.cleaned_data["encoding"].strip(),
                )
            except ImportFileError as error:
                form.add_error("file", f"{upload.name} was refused: {error}. Nothing was stored.")
            else:
                return redirect("dashboards:case_import_detail", import_id=case_import.pk)
        status = 400
    else:
        form = CaseImportForm()
    context = {
        "page_title": "Import contacts",
        "form": form,
        "size_limit": upload_size_limit_text(),
        "recent_imports": case_import_recent(),
    }
    return render(request, "dashboards/import/upload.html", context, status=status)


@login_required
def case_import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """One import: its progress bar while it runs, then its counts and the first rows it refused."""
    _require_importer(request)
    case_import = _case_import_or_404(import_id)
    context = {
        "page_title": f"Import of {case_import.file_name}",
        "case_import": case_import,
        "rejections": case_import.rejections[:REJECTIONS_SHOWN],
        "rejections_more": max(0, len(case_import.rejections) - REJECTIONS_SHOWN),
    }
    return render(request, "dashboards/import/detail.html", context)


@login_required
def case_import_status(request: HttpRequest, import_id: int) -> JsonResponse:
    """The import's progress as JSON, polled by its page."""
    _require_importer(request)
    return JsonResponse(case_import_progress(case_import=_case_import_or_404(import_id)))


@login_required
def case_import_rejections_csv(request: HttpRequest, import_id: int) -> HttpResponse:
    """The rows the import refused, with their line in the file and the reason, as CSV."""
    _require_importer(request)
    case_import = _case_import_or_404(import_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{case_import.pk}-rejected-rows.csv"'
    writer = csv.writer(response)
    writer.writerow(["line", "reason"])
    writer.writerows(case_import.rejections)
    return response
