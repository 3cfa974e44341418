"""Theme group endpoints: every role that reads themes reads groups; social team leads and staff admins edit them.

A group's volume and trend are its themes' daily counts summed (improvement.volumes.selectors.volume_rollup), in
the windows ending on `as_of` (default: the last counted day).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from improvement.models import Theme, ThemeGroup
from improvement.models.themes import LABEL_MAX_LENGTH
from improvement.permissions import CanCurateThemes, CanReadThemes
from improvement.themes.api.views import AS_OF_PARAMETER, _as_of
from improvement.themes.selectors import theme_group_list
from improvement.themes.services.groups import (
    theme_group_create,
    theme_group_delete,
    theme_group_rename,
    theme_groups_propose,
)
from improvement.volumes.selectors import theme_volumes, volume_rollup


class ThemeGroupOutputSerializer(serializers.ModelSerializer):
    themes = serializers.SerializerMethodField()
    theme_count = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField()
    volume_last_7_days = serializers.SerializerMethodField()
    volume_last_28_days = serializers.SerializerMethodField()
    trend = serializers.SerializerMethodField()

    class Meta:
        model = ThemeGroup
        fields = [
            "id",
            "name",
            "themes",
            "theme_count",
            "size",
            "volume_last_7_days",
            "volume_last_28_days",
            "trend",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _members(self, group: ThemeGroup) -> list[Theme]:
        return list(group.themes.all())

    def _volume(self, group: ThemeGroup):
        volumes = self.context["volumes"]
        return volume_rollup(volumes[theme.pk] for theme in self._members(group))

    def get_themes(self, group: ThemeGroup) -> list[int]:
        """The ids of the group's themes, largest first."""
        return [theme.pk for theme in self._members(group)]

    def get_theme_count(self, group: ThemeGroup) -> int:
        return len(self._members(group))

    def get_size(self, group: ThemeGroup) -> int:
        """The cases in the group's themes."""
        return sum(theme.size for theme in self._members(group))

    def get_volume_last_7_days(self, group: ThemeGroup) -> int:
        return self._volume(group).last_7_days

    def get_volume_last_28_days(self, group: ThemeGroup) -> int:
        return self._volume(group).last_28_days

    def get_trend(self, group: ThemeGroup) -> float | None:
        return self._volume(group).trend


class ThemeGroupCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=LABEL_MAX_LENGTH, allow_blank=False, trim_whitespace=True)
    themes = serializers.PrimaryKeyRelatedField(
        queryset=Theme.objects.defer("centroid"), many=True, required=False, default=list
    )


class ThemeGroupRenameInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=LABEL_MAX_LENGTH, allow_blank=False, trim_whitespace=True)


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF_PARAMETER]),
    retrieve=extend_schema(parameters=[AS_OF_PARAMETER]),
    partial_update=extend_schema(
        request=ThemeGroupRenameInputSerializer,
        responses={200: ThemeGroupOutputSerializer, 400: OpenApiResponse(description="Empty or too long name.")},
        description="Rename the group.",
    ),
    destroy=extend_schema(
        responses={204: None, 409: OpenApiResponse(description="The group still holds themes.")},
        description="Delete a group that holds no theme.",
    ),
)
class ThemeGroupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Theme groups (parent themes) by name, with their themes and rolled-up volume and trend."""

    serializer_class = ThemeGroupOutputSerializer
    permission_classes = [IsAuthenticated, CanReadThemes]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    editing_actions = {"create", "partial_update", "destroy", "propose"}

    def get_queryset(self):
        return theme_group_list()

    def get_permissions(self):
        if self.action in self.editing_actions:
            return [IsAuthenticated(), CanCurateThemes()]
        return super().get_permissions()

    def _context_with_volumes(self, groups) -> dict:
        theme_ids = [theme.pk for group in groups for theme in group.themes.all()]
        return {
            **self.get_serializer_context(),
            "volumes": theme_volumes(theme_ids=theme_ids, as_of=_as_of(self.request)),
        }

    def _group_response(self, group: ThemeGroup, *, response_status: int = status.HTTP_200_OK) -> Response:
        group = theme_group_list().get(pk=group.pk)
        return Response(
            ThemeGroupOutputSerializer(group, context=self._context_with_volumes([group])).data,
            status=response_status,
        )

    def list(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        groups = list(page if page is not None else queryset)
        data = ThemeGroupOutputSerializer(groups, many=True, context=self._context_with_volumes(groups)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        return self._group_response(self.get_object())

    @extend_schema(
        request=ThemeGroupCreateInputSerializer,
        responses={
            201: ThemeGroupOutputSerializer,
            400: OpenApiResponse(description="Empty name, or unknown or inactive themes."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Create a group, moving the given active themes into it."""
        serializer = ThemeGroupCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = theme_group_create(
            name=serializer.validated_data["name"], themes=serializer.validated_data["themes"], by=request.user
        )
        return self._group_response(group, response_status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        group = self.get_object()
        serializer = ThemeGroupRenameInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = theme_group_rename(group=group, name=serializer.validated_data["name"], by=request.user)
        return self._group_response(group)

    def destroy(self, request, *args, **kwargs):
        theme_group_delete(group=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={201: ThemeGroupOutputSerializer(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None)
    def propose(self, request):
        """Group the active themes that are in no group by centroid similarity; returns the groups made."""
        groups = theme_groups_propose(by=request.user)
        groups = list(theme_group_list().filter(pk__in=[group.pk for group in groups]))
        data = ThemeGroupOutputSerializer(groups, many=True, context=self._context_with_volumes(groups)).data
        return Response(data, status=status.HTTP_201_CREATED)
