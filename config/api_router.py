"""The REST API router: each app registers its viewsets here."""
from __future__ import annotations

from rest_framework.routers import DefaultRouter

from improvement.api.departments import DepartmentViewSet
from improvement.api.issues import FixViewSet, IssueViewSet

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("issues", IssueViewSet, basename="issue")
router.register("fixes", FixViewSet, basename="fix")

urlpatterns = router.urls
