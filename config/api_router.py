"""The REST API router: each app registers its viewsets here."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from dashboards.api import ExecutiveDashboardViewSet
from improvement.impact.api import FixImpactApi
from improvement.themes.api.cases import CaseBrowseViewSet
from improvement.themes.api.groups import ThemeGroupViewSet
from improvement.themes.api.views import ClusteringRunViewSet, CurationJobViewSet, ThemeViewSet
from improvement.workflow.api.departments import DepartmentViewSet
from improvement.workflow.api.fixes import FixViewSet
from improvement.workflow.api.issues import IssueViewSet

router = DefaultRouter()
# The case list with search and themes (improvement owns themes; it extends cases' own viewset).
router.register("cases", CaseBrowseViewSet, basename="case")
router.register("departments", DepartmentViewSet, basename="department")
router.register("issues", IssueViewSet, basename="issue")
router.register("fixes", FixViewSet, basename="fix")
router.register("themes", ThemeViewSet, basename="theme")
router.register("theme-groups", ThemeGroupViewSet, basename="theme-group")
router.register("dashboard/executive", ExecutiveDashboardViewSet, basename="dashboard-executive")
router.register("clustering-runs", ClusteringRunViewSet, basename="clustering-run")
router.register("curation-jobs", CurationJobViewSet, basename="curation-job")

urlpatterns = [
    *router.urls,
    path("fixes/<int:fix_id>/impact/", FixImpactApi.as_view(), name="fix-impact"),
]
