from __future__ import annotations

from django.contrib import admin

from improvement.models import Department


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["owners"]
    search_fields = ["name", "slug"]
