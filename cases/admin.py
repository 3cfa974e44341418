"""Admin for cases: browse and search; what came from the source is read-only."""

from __future__ import annotations

from django.contrib import admin

from cases.models import Case, CaseImport


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["external_id", "channel", "brand", "author_handle", "received_at", "is_embedded"]
    list_filter = ["channel", "brand"]
    search_fields = ["text", "external_id"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    readonly_fields = [
        "channel",
        "external_id",
        "brand",
        "author_handle",
        "text",
        "received_at",
        "reply_to_external_id",
        "thread_external_id",
        "raw_payload",
        "ingested_at",
        "analysis_text",
        "embedding_model",
        "embedded_text_hash",
        "embedded_at",
    ]
    exclude = ["embedding"]

    @admin.display(boolean=True, description="Embedded")
    def is_embedded(self, case: Case) -> bool:
        return case.is_embedded


@admin.register(CaseImport)
class CaseImportAdmin(admin.ModelAdmin):
    """Uploads are read here; they are made on the import page and changed only by their task."""

    list_display = ["file_name", "file_format", "status", "rows_done", "rows_total", "created", "uploaded_at"]
    list_filter = ["status", "file_format"]
    search_fields = ["file_name"]
    exclude = ["content"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
