from __future__ import annotations

from django.urls import path

from dashboards import views, views_cases, views_export, views_groups, views_import, views_workflow

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/", views.executive_dashboard_page, name="executive"),
    path("dashboards/themes/", views.lead_dashboard, name="lead"),
    path("dashboards/queue/", views.owner_dashboard, name="owner"),
    path("dashboards/export/themes.csv", views_export.themes_csv, name="export_themes"),
    path("dashboards/export/issues.csv", views_export.issues_csv, name="export_issues"),
    path("dashboards/export/fixes.csv", views_export.fixes_csv, name="export_fixes"),
    path("no-role/", views.no_role, name="no_role"),
    path("import/", views_import.case_import_page, name="case_import"),
    path("import/<int:import_id>/", views_import.case_import_detail, name="case_import_detail"),
    path("import/<int:import_id>/status.json", views_import.case_import_status, name="case_import_status"),
    path(
        "import/<int:import_id>/rejected-rows.csv",
        views_import.case_import_rejections_csv,
        name="case_import_rejections_csv",
    ),
    path("cases/", views_cases.case_browser, name="case_browser"),
    path("cases/selection/", views_cases.case_selection, name="case_selection"),
    path("curation-jobs/<int:job_id>/", views_cases.curation_job_detail, name="curation_job"),
    path("curation-jobs/<int:job_id>/status.json", views_cases.curation_job_status, name="curation_job_status"),
    path("themes/seed/", views.theme_seed_page, name="theme_seed"),
    path("themes/<int:theme_id>/", views.theme_detail, name="theme_detail"),
    path("themes/<int:theme_id>/snooze/", views.theme_snooze_page, name="theme_snooze"),
    path("themes/<int:theme_id>/unsnooze/", views.theme_unsnooze_page, name="theme_unsnooze"),
    path("themes/<int:theme_id>/rename/", views.theme_rename_page, name="theme_rename"),
    path("themes/<int:theme_id>/merge/", views.theme_merge_page, name="theme_merge"),
    path("themes/<int:theme_id>/split/", views.theme_split_page, name="theme_split"),
    path("themes/<int:theme_id>/accept-label/", views.theme_accept_label_page, name="theme_accept_label"),
    path("themes/<int:theme_id>/group/", views.theme_group_page, name="theme_group"),
    path("dashboards/theme-groups/", views_groups.theme_group_create_page, name="theme_group_create"),
    path("dashboards/theme-groups/propose/", views_groups.theme_groups_propose_page, name="theme_groups_propose"),
    path(
        "dashboards/theme-groups/<int:group_id>/rename/",
        views_groups.theme_group_rename_page,
        name="theme_group_rename",
    ),
    path(
        "dashboards/theme-groups/<int:group_id>/delete/",
        views_groups.theme_group_delete_page,
        name="theme_group_delete",
    ),
    path("themes/<int:theme_id>/raise-issue/", views_workflow.theme_raise_issue, name="theme_raise_issue"),
    path("issues/", views_workflow.issue_list, name="issue_list"),
    path("issues/<int:issue_id>/", views_workflow.issue_detail, name="issue_detail"),
    path("issues/<int:issue_id>/propose-fix/", views_workflow.issue_propose_fix, name="issue_propose_fix"),
    path("issues/<int:issue_id>/close/", views_workflow.issue_close_page, name="issue_close"),
    path("issues/<int:issue_id>/reopen/", views_workflow.issue_reopen_page, name="issue_reopen"),
    path("issues/<int:issue_id>/known-error/", views_workflow.issue_known_error_page, name="issue_known_error"),
    path("fixes/<int:fix_id>/", views_workflow.fix_detail, name="fix_detail"),
    path("fixes/<int:fix_id>/<slug:action>/", views_workflow.fix_transition_page, name="fix_transition"),
]
