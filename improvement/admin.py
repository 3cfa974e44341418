from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from core.durations import duration_text
from improvement.errors import NotAllowed, ThemeStateError
from improvement.models import (
    CaseTheme,
    ChatDelivery,
    ClusteringRun,
    CurationJob,
    DailyThemeVolume,
    DailyTotalVolume,
    Department,
    FixImpact,
    FixTicket,
    ImprovementIssue,
    IssueCaseLink,
    IssueEvent,
    Theme,
    ThemeAlert,
    ThemeEvent,
    ThemeGroup,
)
from improvement.themes.services.runs import clustering_run_cancel, clustering_run_request


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["owners"]
    search_fields = ["name", "slug"]


@admin.register(ClusteringRun)
class ClusteringRunAdmin(admin.ModelAdmin):
    """Runs are written by the clustering task only; the "Run clustering now" action requests a new one."""

    list_display = [
        "id",
        "status",
        "trigger",
        "requested_by",
        "case_count",
        "theme_count",
        "new_theme_count",
        "dormant_theme_count",
        "outlier_share",
        "created_at",
        "duration",
    ]
    list_filter = ["status", "trigger"]
    actions = ["run_clustering_now", "cancel_runs"]
    # The read-only change page shows the duration for people ("1 min 18 s"), not the stored float.
    exclude = ["duration_seconds"]
    readonly_fields = ["duration"]

    @admin.display(description="duration", ordering="duration_seconds")
    def duration(self, run: ClusteringRun) -> str:
        return duration_text(run.duration_seconds)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # "Run clustering now" needs no selected rows; Django refuses an action without any, so give it a dummy.
        if request.method == "POST" and request.POST.get("action") == "run_clustering_now":
            if not request.POST.getlist(ACTION_CHECKBOX_NAME):
                post = request.POST.copy()
                post.setlist(ACTION_CHECKBOX_NAME, ["0"])
                request.POST = post
        return super().changelist_view(request, extra_context)

    @admin.action(description="Run clustering now (no selection needed)")
    def run_clustering_now(self, request, queryset):
        try:
            run = clustering_run_request(trigger=ClusteringRun.Trigger.ADMIN, requested_by=request.user)
        except ThemeStateError as error:
            self.message_user(request, str(error), level=messages.WARNING)
            return
        self.message_user(request, f"Clustering run {run.pk} requested; it runs in the background.")

    @admin.action(description="Cancel the selected pending or running runs")
    def cancel_runs(self, request, queryset):
        """End stuck runs as cancelled (the actor is recorded); a worker still fitting one does not swap it in."""
        for run in queryset.order_by("id"):
            try:
                clustering_run_cancel(run=run, by=request.user)
            except (ThemeStateError, NotAllowed) as error:
                self.message_user(request, str(error), level=messages.WARNING)
            else:
                self.message_user(request, f"Clustering run {run.pk} cancelled.")


class ThemeEventInline(admin.TabularInline):
    model = ThemeEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "run", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    """Read-mostly: curation goes through the API's services so history is kept."""

    list_display = ["id", "label", "status", "size", "is_label_custom", "merged_into", "last_seen_run", "updated_at"]
    list_filter = ["status", "is_label_custom"]
    search_fields = ["label", "model_label"]
    readonly_fields = [
        "label",
        "is_label_custom",
        "model_label",
        "suggested_label",
        "group",
        "keywords",
        "representative_case_ids",
        "status",
        "merged_into",
        "size",
        "first_run",
        "last_seen_run",
        "created_at",
        "updated_at",
    ]
    exclude = ["centroid"]
    inlines = [ThemeEventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ThemeGroup)
class ThemeGroupAdmin(admin.ModelAdmin):
    """Read-only: groups are edited on the Themes page or the API, whose services keep the history."""

    list_display = ["id", "name", "created_at", "updated_at"]
    search_fields = ["name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ThemeEvent)
class ThemeEventAdmin(admin.ModelAdmin):
    list_display = ["id", "theme", "kind", "actor", "run", "created_at"]
    list_filter = ["kind"]
    search_fields = ["theme__label"]
    list_select_related = ["theme", "actor", "run"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class IssueEventInline(admin.TabularInline):
    model = IssueEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor", "fix", "kind", "from_status", "to_status", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImprovementIssue)
class ImprovementIssueAdmin(admin.ModelAdmin):
    """Read-mostly: status moves only through the workflow services (pages and API), which write the audit trail."""

    list_display = ["id", "title", "status", "priority", "raised_by", "created_at"]
    list_filter = ["status", "priority"]
    search_fields = ["title", "problem_statement"]
    readonly_fields = ["status", "suggested_priority", "evidence", "raised_by", "created_at", "updated_at", "closed_at"]
    filter_horizontal = ["themes"]
    inlines = [IssueEventInline]


@admin.register(FixTicket)
class FixTicketAdmin(admin.ModelAdmin):
    """Read-only status: accept, reject, start and ship go through the workflow so they are audited."""

    list_display = ["id", "issue", "department", "status", "shipped_on", "due_date", "created_at"]
    list_filter = ["status", "department"]
    search_fields = ["description", "issue__title"]
    readonly_fields = [
        "status",
        "rejection_reason",
        "withdrawal_reason",
        "shipped_on",
        "verdict_note",
        "proposed_by",
        "created_at",
        "updated_at",
    ]


@admin.register(IssueEvent)
class IssueEventAdmin(admin.ModelAdmin):
    list_display = ["id", "issue", "fix", "kind", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(admin.ModelAdmin):
    """Read-only: which chat messages went out, and why one has not (the task writes these rows)."""

    list_display = ["id", "event", "target", "attempts", "delivered_at", "last_error", "created_at"]
    list_filter = ["target"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DailyTotalVolume)
class DailyTotalVolumeAdmin(admin.ModelAdmin):
    list_display = ["day", "brand", "channel", "count"]
    list_filter = ["brand", "channel"]
    date_hierarchy = "day"


@admin.register(DailyThemeVolume)
class DailyThemeVolumeAdmin(admin.ModelAdmin):
    list_display = ["day", "theme", "brand", "channel", "count"]
    list_filter = ["brand", "channel"]
    date_hierarchy = "day"


@admin.register(CaseTheme)
class CaseThemeAdmin(admin.ModelAdmin):
    """Assignments change through clustering runs and the curation services, never by hand here."""

    list_display = ["case", "theme", "source", "similarity", "assigned_at"]
    list_filter = ["source"]
    raw_id_fields = ["case", "theme", "run"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FixImpact)
class FixImpactAdmin(admin.ModelAdmin):
    """Written by the impact evaluation only (daily job, on shipping, or `impact_report --refresh`)."""

    list_display = [
        "fix",
        "verdict",
        "is_provisional",
        "relative_effect",
        "ci_low",
        "ci_high",
        "p_value",
        "contacts_avoided",
        "computed_at",
    ]
    list_filter = ["verdict", "is_provisional"]
    raw_id_fields = ["fix"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ThemeAlert)
class ThemeAlertAdmin(admin.ModelAdmin):
    """Written by the daily spike check only."""

    list_display = ["theme", "kind", "detected_on", "observed", "expected", "upper_bound", "notified_at"]
    list_filter = ["kind"]
    date_hierarchy = "detected_on"
    raw_id_fields = ["theme"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (their history and side effects go with them): shown, never edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CurationJob)
class CurationJobAdmin(_ReadOnlyAdmin):
    """Splits and other long curation work, queued from the pages and the API and run by a worker."""

    list_display = ["id", "kind", "status", "theme", "requested_by", "steps_done", "steps_total", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(IssueCaseLink)
class IssueCaseLinkAdmin(_ReadOnlyAdmin):
    """Cases a team lead linked to an improvement issue as evidence."""

    list_display = ["id", "issue", "case", "linked_by", "linked_at"]
    raw_id_fields = ["issue", "case"]
