"""Theme groups (parent themes): proposed from theme centroids, then created, renamed, moved and deleted by leads.

Each change writes ThemeEvents with its actor: one per theme it regroups (kind `regrouped`, with the group before
and after), and for the group itself (`group_created`, `group_renamed`, `group_deleted`, with its name). Groups
are stored on themes (Theme.group), whose ids survive refits, so a refit keeps every group as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.contrib.auth.models import User
from django.db import transaction

from cases.embedding import embedding_from_bytes
from improvement.errors import Invalid, ThemeStateError
from improvement.models import Theme, ThemeEvent, ThemeGroup
from improvement.models.themes import LABEL_MAX_LENGTH
from improvement.permissions import permission_require_curator
from improvement.themes import ml
from improvement.themes.services.links import themes_lock_all


def _group_name_validated(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid({"name": "The group name must not be empty."})
    if len(name) > LABEL_MAX_LENGTH:
        raise Invalid({"name": f"The group name must be at most {LABEL_MAX_LENGTH} characters."})
    return name


def _regroup_events(*, themes: Sequence[Theme], group: ThemeGroup | None, by: User | None) -> list[ThemeEvent]:
    """Move the (locked) themes into the group (None: out of any group); returns the events of those that moved."""
    events = []
    for theme in themes:
        if theme.group_id == (group.pk if group else None):
            continue
        events.append(
            ThemeEvent(
                theme=theme,
                group=group,
                kind=ThemeEvent.Kind.REGROUPED,
                actor=by,
                data={"from_group": theme.group_id, "to_group": group.pk if group else None},
            )
        )
        theme.group = group
        theme.save(update_fields=["group", "updated_at"])
    return events


def _active_themes_locked(theme_ids: Sequence[int], *, field: str) -> list[Theme]:
    """The themes by id (every theme locked), refused unless each exists and is active."""
    locked = themes_lock_all()
    unknown = [theme_id for theme_id in theme_ids if theme_id not in locked]
    if unknown:
        raise Invalid({field: f"Unknown theme ids: {', '.join(map(str, unknown))}."})
    inactive = [theme_id for theme_id in theme_ids if locked[theme_id].status != Theme.Status.ACTIVE]
    if inactive:
        raise Invalid({field: f"Only active themes can be grouped; not active: {', '.join(map(str, inactive))}."})
    return [locked[theme_id] for theme_id in theme_ids]


def theme_group_create(*, name: str, themes: Sequence[Theme] = (), by: User | None) -> ThemeGroup:
    """Create a group and move the given active themes into it (out of any group they were in)."""
    permission_require_curator(by)
    name = _group_name_validated(name)
    theme_ids = list(dict.fromkeys(theme.pk for theme in themes))
    with transaction.atomic():
        members = _active_themes_locked(theme_ids, field="themes")
        group = ThemeGroup.objects.create(name=name)
        events = [
            ThemeEvent(
                group=group,
                kind=ThemeEvent.Kind.GROUP_CREATED,
                actor=by,
                data={"name": name, "themes": theme_ids},
            ),
            *_regroup_events(themes=members, group=group, by=by),
        ]
        ThemeEvent.objects.bulk_create(events)
    return group


def theme_group_rename(*, group: ThemeGroup, name: str, by: User) -> ThemeGroup:
    """Give the group a new name, recorded on the group and on each of its themes."""
    permission_require_curator(by)
    name = _group_name_validated(name)
    with transaction.atomic():
        group = ThemeGroup.objects.select_for_update().get(pk=group.pk)
        previous = group.name
        group.name = name
        group.save(update_fields=["name", "updated_at"])
        data = {"from": previous, "to": name}
        ThemeEvent.objects.bulk_create(
            [
                ThemeEvent(group=group, kind=ThemeEvent.Kind.GROUP_RENAMED, actor=by, data=data),
                *(
                    ThemeEvent(theme=theme, group=group, kind=ThemeEvent.Kind.GROUP_RENAMED, actor=by, data=data)
                    for theme in group.themes.order_by("id")
                ),
            ]
        )
    return group


def theme_move_to_group(*, theme: Theme, group: ThemeGroup | None, by: User) -> Theme:
    """Move an active theme into another group, or out of any group (None)."""
    permission_require_curator(by)
    with transaction.atomic():
        (theme,) = _active_themes_locked([theme.pk], field="theme")
        if group is not None and not ThemeGroup.objects.filter(pk=group.pk).exists():
            raise Invalid({"group": f"Unknown theme group {group.pk}."})
        ThemeEvent.objects.bulk_create(_regroup_events(themes=[theme], group=group, by=by))
    return theme


def theme_group_delete(*, group: ThemeGroup, by: User) -> None:
    """Delete a group that holds no theme (move its themes out first); its history keeps the name."""
    permission_require_curator(by)
    with transaction.atomic():
        themes_lock_all()
        group = ThemeGroup.objects.select_for_update().get(pk=group.pk)
        members = list(group.themes.order_by("id").values_list("id", flat=True))
        if members:
            raise ThemeStateError(
                f"Theme group {group.pk} still holds themes {', '.join(map(str, members))}; move them out first."
            )
        ThemeEvent.objects.create(
            kind=ThemeEvent.Kind.GROUP_DELETED, actor=by, data={"group": group.pk, "name": group.name}
        )
        group.delete()


def theme_groups_propose(*, by: User | None) -> list[ThemeGroup]:
    """Group the active themes that are in no group, by centroid similarity (ml.theme_groups_propose).

    Only groups of two or more themes are made; each is named after its largest theme (a lead renames it).
    Themes already grouped stay where they are. Returns the new groups, largest first.
    """
    permission_require_curator(by)
    with transaction.atomic():
        locked = themes_lock_all()
        candidates = sorted(
            (
                theme
                for theme in locked.values()
                if theme.status == Theme.Status.ACTIVE and theme.group_id is None and theme.centroid
            ),
            key=lambda theme: (-theme.size, theme.pk),
        )
        vectors = [embedding_from_bytes(theme.centroid) for theme in candidates if theme.centroid is not None]
        if len(candidates) < 2 or len({vector.shape for vector in vectors}) != 1:
            return []
        proposed = ml.theme_groups_propose(centroids=np.stack(vectors))
        members: dict[int, list[Theme]] = {}
        for theme, index in zip(candidates, proposed.tolist(), strict=True):
            members.setdefault(index, []).append(theme)
        groups = []
        for themes in sorted(members.values(), key=lambda themes: (-sum(t.size for t in themes), themes[0].pk)):
            if len(themes) < 2:
                continue
            group = ThemeGroup.objects.create(name=themes[0].label[:LABEL_MAX_LENGTH])
            ThemeEvent.objects.bulk_create(
                [
                    ThemeEvent(
                        group=group,
                        kind=ThemeEvent.Kind.GROUP_CREATED,
                        actor=by,
                        data={"name": group.name, "themes": [theme.pk for theme in themes], "proposed": True},
                    ),
                    *_regroup_events(themes=themes, group=group, by=by),
                ]
            )
            groups.append(group)
    return groups
