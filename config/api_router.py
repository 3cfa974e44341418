"""The REST API router: each app registers its viewsets here."""
from __future__ import annotations

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
