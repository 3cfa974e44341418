"""Reads of themes: lists and their cases, the clustering runs that found them, and what a refit starts from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from cases.embedding import EMBEDDING_DIMENSION, embedding_from_bytes, embedding_from_stored
from cases.models import Case
from improvement.errors import ClusteringError
from improvement.models import CaseTheme, ClusteringRun, Theme
from improvement.themes.ml import ExistingTheme

SNAPSHOT_CHUNK_SIZE = 2000
LINK_CHUNK_SIZE = 10_000


def theme_list(
    *,
    brand: str | None = None,
    channel: str | None = None,
    statuses: Iterable[str] | None = None,
    snoozed: bool | None = None,
) -> QuerySet[Theme]:
    """Themes, largest first, optionally only those holding cases of a brand and/or a channel, or in given statuses.

    `snoozed` True keeps only snoozed themes, False only those not snoozed, None both.
    """
    themes = Theme.objects.defer("centroid")
    if statuses:
        themes = themes.filter(status__in=list(statuses))
    if snoozed is not None:
        themes = themes.exclude(snooze_kind="") if snoozed else themes.filter(snooze_kind="")
    if brand or channel:
        case_filter = Q()
        if brand:
            case_filter &= Q(case__brand=brand)
        if channel:
            case_filter &= Q(case__channel=channel)
        themes = themes.filter(Exists(CaseTheme.objects.filter(case_filter, theme_id=OuterRef("pk"))))
    return themes.order_by("-size", "id")


def theme_representative_cases(*, theme: Theme) -> list[Case]:
    """The theme's representative cases in the order the model ranked them (cases since deleted are skipped)."""
    ids = [int(case_id) for case_id in theme.representative_case_ids]
    cases = Case.objects.defer("embedding", "raw_payload").in_bulk(ids)
    return [cases[case_id] for case_id in ids if case_id in cases]


def theme_cases(*, theme: Theme) -> QuerySet[Case]:
    """The cases currently in the theme, newest first, without their embedding bytes."""
    return (
        Case.objects.defer("embedding", "raw_payload").filter(theme_link__theme=theme).order_by("-received_at", "-id")
    )


def clustering_run_list() -> QuerySet[ClusteringRun]:
    """Clustering runs, newest first."""
    return ClusteringRun.objects.select_related("requested_by").order_by("-created_at", "-id")


def case_ids_awaiting_theme(*, embedded_before: datetime) -> list[int]:
    """Ids, in order, of cases embedded before that moment and not placed since (no link, or one older than it).

    Cases a team lead placed by hand are never awaiting; a case a run or assignment left unassigned has a link.
    """
    return list(
        Case.objects.filter(embedded_at__isnull=False, embedded_at__lt=embedded_before)
        .filter(Q(theme_link__isnull=True) | Q(theme_link__assigned_at__lt=F("embedded_at")))
        .exclude(theme_link__source=CaseTheme.Source.MANUAL)
        .order_by("id")
        .values_list("id", flat=True)
    )


def theme_stop_words() -> list[str]:
    """Every distinct brand of the stored cases and its no-space form: brand names must never label a theme."""
    words: set[str] = set()
    for brand in Case.objects.order_by().values_list("brand", flat=True).distinct():
        brand = brand.strip()
        if brand:
            words.add(brand)
            words.add(brand.replace(" ", ""))
    return sorted(words)


# What a refit starts from.


@dataclass(frozen=True)
class CaseSnapshot:
    """The embedded cases a run clusters, in id order."""

    case_ids: np.ndarray
    texts: list[str]
    embeddings: np.ndarray


def embedded_cases_snapshot() -> CaseSnapshot:
    """Every embedded case's id, analysis text and embedding; ClusteringError on a missing or malformed embedding."""
    rows = Case.objects.filter(embedded_at__isnull=False).order_by("id").values_list("id", "analysis_text", "embedding")
    case_ids: list[int] = []
    texts: list[str] = []
    vectors: list[np.ndarray] = []
    for case_id, text, data in rows.iterator(chunk_size=SNAPSHOT_CHUNK_SIZE):
        if data is None:
            raise ClusteringError(f"Case {case_id} is marked embedded but has no stored embedding.")
        vector = embedding_from_stored(data)
        if vector is None:
            raise ClusteringError(
                f"Case {case_id} has a stored embedding of {embedding_from_bytes(data).size} values; "
                f"expected {EMBEDDING_DIMENSION}."
            )
        vectors.append(vector)
        case_ids.append(case_id)
        texts.append(text)
    if not case_ids:
        raise ClusteringError("No embedded cases to cluster.")
    return CaseSnapshot(
        case_ids=np.array(case_ids, dtype=np.int64), texts=texts, embeddings=np.stack(vectors).astype(np.float32)
    )


def existing_themes() -> list[ExistingTheme]:
    """Active and dormant themes with their current case sets (merged themes live on through their survivor)."""
    themes = list(Theme.objects.exclude(status=Theme.Status.MERGED).order_by("id").values_list("id", "centroid"))
    members: dict[int, set[int]] = {theme_id: set() for theme_id, _ in themes}
    links = CaseTheme.objects.filter(theme_id__in=list(members)).values_list("theme_id", "case_id")
    for theme_id, case_id in links.iterator(chunk_size=LINK_CHUNK_SIZE):
        members[theme_id].add(case_id)
    return [
        ExistingTheme(
            theme_id=theme_id,
            centroid=embedding_from_bytes(centroid) if centroid else None,
            case_ids=frozenset(members[theme_id]),
        )
        for theme_id, centroid in themes
    ]


@dataclass(frozen=True)
class SeededThemes:
    """The seeded themes a refit assigns to first: their ids and centroids (rows), in id order."""

    theme_ids: list[int]
    centroids: np.ndarray


def seeded_themes() -> SeededThemes:
    """Active seeded themes with a centroid of the current embedding size (merged ones live on in their survivor)."""
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    rows = Theme.objects.filter(is_seeded=True, status=Theme.Status.ACTIVE, centroid__isnull=False).order_by("id")
    for theme_id, centroid in rows.values_list("id", "centroid"):
        vector = embedding_from_bytes(centroid)
        if vector.shape == (EMBEDDING_DIMENSION,):
            ids.append(theme_id)
            vectors.append(vector)
    centroids = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, EMBEDDING_DIMENSION), np.float32)
    return SeededThemes(theme_ids=ids, centroids=centroids)


def active_theme_per_case(*, case_ids: np.ndarray) -> np.ndarray:
    """Per case, the id of its current active theme, or -1 (so a refit never merges two of them)."""
    theme_by_case = dict(CaseTheme.objects.filter(theme__status=Theme.Status.ACTIVE).values_list("case_id", "theme_id"))
    return np.array([theme_by_case.get(case_id, -1) for case_id in case_ids.tolist()], dtype=np.int64)
