"""Curation by team leads: rename, accept a suggested label, merge, split and move cases. Each keeps a ThemeEvent
with its actor.

Edits survive refits: no refit changes a label, and case links with source "manual" (moves, merges and splits)
are never overwritten by a run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases.embedding import embed_texts, embedding_from_bytes, embedding_from_stored, embedding_to_bytes
from cases.models import Case
from improvement.errors import Invalid, ThemeStateError
from improvement.models import CaseTheme, Theme, ThemeEvent
from improvement.models.themes import LABEL_MAX_LENGTH
from improvement.permissions import permission_require_curator
from improvement.themes import ml
from improvement.themes.selectors import theme_stop_words
from improvement.themes.services.links import case_theme_upsert, theme_sizes_adjust, themes_lock_all
from improvement.volumes.services import daily_theme_volumes_refresh_for_cases

SPLIT_MINIMUM_PARTS = 2
SPLIT_MAXIMUM_PARTS = 10
SPLIT_MINIMUM_CASES_PER_PART = 2
MOVE_MAXIMUM_CASES = 1000
REPRESENTATIVE_COUNT = 5
# How many ids an error message lists before it stops.
LISTED_IDS = 20


def _locked(theme: Theme) -> Theme:
    """The theme, freshly read, with every theme locked (themes_lock_all: the one lock order of theme writers)."""
    locked = themes_lock_all()
    if theme.pk not in locked:
        raise ThemeStateError(f"Theme {theme.pk} no longer exists.")
    return locked[theme.pk]


def _listed(ids: Sequence[int]) -> str:
    return ", ".join(map(str, ids[:LISTED_IDS]))


def theme_rename(*, theme: Theme, label: str, by: User) -> Theme:
    """Give the theme a label of the lead's choosing; it is kept across refits (the model's label is still tracked)."""
    permission_require_curator(by)
    label = (label or "").strip()
    if not label:
        raise Invalid({"label": "The label must not be empty."})
    if len(label) > LABEL_MAX_LENGTH:
        raise Invalid({"label": f"The label must be at most {LABEL_MAX_LENGTH} characters."})
    with transaction.atomic():
        theme = _locked(theme)
        if theme.status == Theme.Status.MERGED:
            raise ThemeStateError(f"Theme {theme.pk} was merged into theme {theme.merged_into_id}; rename that one.")
        previous = theme.label
        theme.label = label
        theme.is_label_custom = True
        # The lead chose a name: the refit's suggestion no longer applies.
        theme.suggested_label = ""
        theme.save(update_fields=["label", "is_label_custom", "suggested_label", "updated_at"])
        ThemeEvent.objects.create(
            theme=theme, kind=ThemeEvent.Kind.RENAMED, actor=by, data={"from": previous, "to": label}
        )
    return theme


def theme_label_accept(*, theme: Theme, by: User) -> Theme:
    """Take the label the last refit suggested as the theme's label (one click); refused when there is none."""
    permission_require_curator(by)
    with transaction.atomic():
        theme = _locked(theme)
        if theme.status == Theme.Status.MERGED:
            raise ThemeStateError(f"Theme {theme.pk} was merged into theme {theme.merged_into_id}; rename that one.")
        if not theme.suggested_label:
            raise ThemeStateError(f"Theme {theme.pk} has no suggested label to accept.")
        previous, label = theme.label, theme.suggested_label
        theme.label = label
        theme.suggested_label = ""
        theme.save(update_fields=["label", "suggested_label", "updated_at"])
        ThemeEvent.objects.create(
            theme=theme,
            kind=ThemeEvent.Kind.RENAMED,
            actor=by,
            data={"from": previous, "to": label, "accepted_suggestion": True},
        )
    return theme


def _combined_centroid(first: Theme, second: Theme) -> bytes | None:
    combined = ml.weighted_unit_centroid(
        (embedding_from_bytes(theme.centroid) if theme.centroid else None, theme.size) for theme in (first, second)
    )
    return embedding_to_bytes(combined) if combined is not None else None


def theme_merge(*, theme: Theme, into: Theme, by: User) -> Theme:
    """Merge a theme into another: its cases move to the survivor (as manual links), it becomes merged and points there.

    Themes merged earlier into the merged theme now point at the survivor too. Returns the survivor.
    """
    permission_require_curator(by)
    if theme.pk == into.pk:
        raise Invalid({"into": "A theme cannot be merged into itself."})
    with transaction.atomic():
        locked = themes_lock_all()
        theme, into = locked[theme.pk], locked[into.pk]
        if theme.status == Theme.Status.MERGED:
            raise ThemeStateError(f"Theme {theme.pk} was already merged into theme {theme.merged_into_id}.")
        if into.status != Theme.Status.ACTIVE:
            raise ThemeStateError(f"Theme {into.pk} is {into.status}; merge only into an active theme.")
        moved_case_ids = list(CaseTheme.objects.filter(theme=theme).values_list("case_id", flat=True))
        CaseTheme.objects.filter(theme=theme).update(
            theme=into, source=CaseTheme.Source.MANUAL, similarity=None, run=None, assigned_at=timezone.now()
        )
        into.centroid = _combined_centroid(into, theme) or into.centroid
        into.size = CaseTheme.objects.filter(theme=into).count()
        into.save(update_fields=["centroid", "size", "updated_at"])
        Theme.objects.filter(merged_into=theme).update(merged_into=into)
        daily_theme_volumes_refresh_for_cases(case_ids=moved_case_ids)
        theme.status = Theme.Status.MERGED
        theme.merged_into = into
        theme.size = 0
        theme.save(update_fields=["status", "merged_into", "size", "updated_at"])
        count = len(moved_case_ids)
        ThemeEvent.objects.bulk_create(
            [
                ThemeEvent(
                    theme=theme, kind=ThemeEvent.Kind.MERGED, actor=by, data={"into": into.pk, "case_count": count}
                ),
                ThemeEvent(
                    theme=into, kind=ThemeEvent.Kind.MERGED, actor=by, data={"absorbed": theme.pk, "case_count": count}
                ),
            ]
        )
    return into


def _split_rows(theme: Theme, parts: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The theme's embedded cases (ids, texts, embeddings), refused when too few for `parts`."""
    rows = []
    for case_id, text, data in (
        Case.objects.filter(theme_link__theme=theme, embedded_at__isnull=False)
        .order_by("id")
        .values_list("id", "analysis_text", "embedding")
    ):
        vector = embedding_from_stored(data)
        if vector is not None:
            rows.append((case_id, text, vector))
    if len(rows) < parts * SPLIT_MINIMUM_CASES_PER_PART:
        raise Invalid(
            {
                "parts": (
                    f"Theme {theme.pk} has {len(rows)} embedded cases; splitting into {parts} needs at least "
                    f"{parts * SPLIT_MINIMUM_CASES_PER_PART}."
                )
            }
        )
    return np.array([row[0] for row in rows]), [row[1] for row in rows], np.stack([row[2] for row in rows])


def _split_part_write(
    *,
    theme: Theme,
    is_original: bool,
    member_ids: np.ndarray,
    embeddings: np.ndarray,
    label: str,
    keywords: list[str],
    by: User,
    embedded_count: int,
) -> Theme:
    """Store one part of a split: the original theme keeps the largest, the others become new manual themes."""
    centroid = ml.unit_centroid(embeddings)
    representatives = [
        int(member_ids[i])
        for i in ml.closest_indices(embeddings=embeddings, centroid=centroid, count=REPRESENTATIVE_COUNT)
    ]
    if is_original:
        theme.centroid = embedding_to_bytes(centroid)
        theme.keywords = keywords
        theme.model_label = label[:LABEL_MAX_LENGTH]
        theme.representative_case_ids = representatives
        theme.size = len(member_ids) + CaseTheme.objects.filter(theme=theme).count() - embedded_count
        theme.save()
        return theme
    part = Theme.objects.create(
        label=label[:LABEL_MAX_LENGTH],
        model_label=label[:LABEL_MAX_LENGTH],
        keywords=keywords,
        representative_case_ids=representatives,
        centroid=embedding_to_bytes(centroid),
        size=len(member_ids),
    )
    CaseTheme.objects.filter(case_id__in=member_ids.tolist()).update(
        theme=part, source=CaseTheme.Source.MANUAL, run=None, assigned_at=timezone.now()
    )
    ThemeEvent.objects.create(
        theme=part,
        kind=ThemeEvent.Kind.CREATED,
        actor=by,
        data={"split_from": theme.pk, "case_count": len(member_ids)},
    )
    daily_theme_volumes_refresh_for_cases(case_ids=member_ids.tolist())
    return part


def theme_split(*, theme: Theme, by: User, parts: int = 2) -> list[Theme]:
    """Re-cluster one theme's embedded cases into `parts` themes (k-means); the original keeps the largest part.

    The other parts become new active themes labelled by the seam; their cases move there as manual links,
    so the next refit keeps the split. Returns the themes, the original first.
    """
    permission_require_curator(by)
    if not isinstance(parts, int) or isinstance(parts, bool) or not SPLIT_MINIMUM_PARTS <= parts <= SPLIT_MAXIMUM_PARTS:
        raise Invalid({"parts": f"Split into between {SPLIT_MINIMUM_PARTS} and {SPLIT_MAXIMUM_PARTS} parts."})
    with transaction.atomic():
        theme = _locked(theme)
        if theme.status != Theme.Status.ACTIVE:
            raise ThemeStateError(f"Theme {theme.pk} is {theme.status}; only an active theme can be split.")
        case_ids, texts, embeddings = _split_rows(theme, parts)
        masks = ml.split_groups(embeddings=embeddings, parts=parts)
        if len(masks) < parts:
            raise Invalid({"parts": f"The cases of theme {theme.pk} do not separate into {parts} parts."})
        stop_words = theme_stop_words()
        result: list[Theme] = []
        for rank, mask in enumerate(masks):
            label, keywords = ml.label_keywords(
                texts=[text for text, is_member in zip(texts, mask, strict=True) if is_member],
                stop_words=stop_words,
                background_texts=[text for text, is_member in zip(texts, mask, strict=True) if not is_member],
                embeddings=embeddings[mask],
                embed=embed_texts,
            )
            result.append(
                _split_part_write(
                    theme=theme,
                    is_original=rank == 0,
                    member_ids=case_ids[mask],
                    embeddings=embeddings[mask],
                    label=label,
                    keywords=keywords,
                    by=by,
                    embedded_count=len(case_ids),
                )
            )
        ThemeEvent.objects.create(
            theme=theme,
            kind=ThemeEvent.Kind.SPLIT,
            actor=by,
            data={"into": [part.pk for part in result[1:]], "sizes": [part.size for part in result]},
        )
    return result


def _move_ids_validated(case_ids: Sequence[int]) -> list[int]:
    ids = sorted({int(case_id) for case_id in case_ids})
    if not ids:
        raise Invalid({"case_ids": "Give at least one case id."})
    if len(ids) > MOVE_MAXIMUM_CASES:
        raise Invalid({"case_ids": f"Move at most {MOVE_MAXIMUM_CASES} cases at a time."})
    known = set(Case.objects.filter(id__in=ids).values_list("id", flat=True))
    unknown = [case_id for case_id in ids if case_id not in known]
    if unknown:
        raise Invalid({"case_ids": f"Unknown case ids: {_listed(unknown)}."})
    return ids


def _move_events(
    *,
    ids: list[int],
    to: Theme,
    moved_from: dict[int | None, list[int]],
    locked: dict[int, Theme],
    by: User,
) -> list[ThemeEvent]:
    events = [
        ThemeEvent(
            theme=to,
            kind=ThemeEvent.Kind.CASES_MOVED,
            actor=by,
            data={
                "case_ids": ids,
                "from": {str(key) if key is not None else "unassigned": value for key, value in moved_from.items()},
            },
        )
    ]
    events.extend(
        ThemeEvent(
            theme=locked[theme_id], kind=ThemeEvent.Kind.CASES_MOVED, actor=by, data={"case_ids": moved, "to": to.pk}
        )
        for theme_id, moved in moved_from.items()
        if theme_id is not None
    )
    return events


def theme_move_cases(
    *,
    case_ids: Sequence[int],
    to: Theme,
    by: User,
    from_theme: Theme | None = None,
) -> Theme:
    """Move cases into an active theme as manual links, which refits keep; returns the target theme.

    With `from_theme`, every case must currently be in that theme; without it, cases may come from any theme
    or be unassigned.
    """
    permission_require_curator(by)
    ids = _move_ids_validated(case_ids)
    with transaction.atomic():
        locked = themes_lock_all()
        previous = dict(CaseTheme.objects.filter(case_id__in=ids).values_list("case_id", "theme_id"))
        if from_theme is not None:
            outside = [case_id for case_id in ids if previous.get(case_id) != from_theme.pk]
            if outside:
                raise Invalid({"case_ids": f"Not in theme {from_theme.pk}: {_listed(outside)}."})
        to = locked[to.pk]
        if to.status != Theme.Status.ACTIVE:
            raise ThemeStateError(f"Theme {to.pk} is {to.status}; move cases only into an active theme.")
        case_theme_upsert(
            links=[CaseTheme(case_id=case_id, theme=to, source=CaseTheme.Source.MANUAL) for case_id in ids]
        )
        moved_from: dict[int | None, list[int]] = {}
        for case_id in ids:
            if previous.get(case_id) != to.pk:
                moved_from.setdefault(previous.get(case_id), []).append(case_id)
        size_changes: Counter[int] = Counter()
        for theme_id, moved in moved_from.items():
            size_changes[to.pk] += len(moved)
            if theme_id is not None:
                size_changes[theme_id] -= len(moved)
        theme_sizes_adjust(changes=size_changes)
        ThemeEvent.objects.bulk_create(_move_events(ids=ids, to=to, moved_from=moved_from, locked=locked, by=by))
        daily_theme_volumes_refresh_for_cases(case_ids=ids)
    to.refresh_from_db()
    return to
