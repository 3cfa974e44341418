from __future__ import annotations

from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/", views.executive_dashboard, name="executive"),
    path("dashboards/themes/", views.lead_dashboard, name="lead"),
    path("dashboards/queue/", views.owner_dashboard, name="owner"),
    path("no-role/", views.no_role, name="no_role"),
]
