"""Department endpoints: the list of departments and their owners, for any user with a Fixloop role."""

from __future__ import annotations

from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from improvement.models import Department
from improvement.permissions import HasFixloopRole


class DepartmentOutputSerializer(serializers.ModelSerializer):
    owners = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")

    class Meta:
        model = Department
        fields = ["id", "name", "slug", "owners"]


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments, by name, with their owners' usernames."""

    serializer_class = DepartmentOutputSerializer
    queryset = Department.objects.prefetch_related("owners").order_by("name")
    permission_classes = [IsAuthenticated, HasFixloopRole]
    filterset_fields = ["slug"]
