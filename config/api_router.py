"""The REST API router: each app registers its viewsets here."""
from __future__ import annotations

from rest_framework.routers import DefaultRouter

from cases.api.views import CaseViewSet
from dashboards.api import ExecutiveDashboardViewSet
from improvement.api.departments import DepartmentViewSet
from improvement.api.issues import FixViewSet, IssueViewSet
from improvement.api.themes import ClusteringRunViewSet, ThemeViewSet

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("departments", DepartmentViewSet, basename="department")
router.register("issues", IssueViewSet, basename="issue")
router.register("fixes", FixViewSet, basename="fix")
router.register("themes", ThemeViewSet, basename="theme")
router.register("dashboard/executive", ExecutiveDashboardViewSet, basename="dashboard-executive")
router.register("clustering-runs", ClusteringRunViewSet, basename="clustering-run")

urlpatterns = router.urls
