"""Reads of themes: lists and their cases, the clustering runs that found them, and what a refit starts from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum

from cases.embedding import EMBEDDING_DIMENSION, embedding_from_bytes, embedding_from_stored
from cases.models import Case
from cases.sentiment import STRONGLY_NEGATIVE
from improvement.errors import ClusteringError
from improvement.models import CaseTheme, ClusteringRun, CurationJob, Theme, ThemeGroup
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


def theme_group_list() -> QuerySet[ThemeGroup]:
    """Theme groups by name, with their themes (largest first, without centroids), theme count and summed size."""
    return (
        ThemeGroup.objects.annotate(theme_count=Count("themes"), size=Sum("themes__size", default=0))
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.defer("centroid").order_by("-size", "id")))
        .order_by("name", "id")
    )


def theme_strongly_negative_shares(*, theme_ids: Iterable[int]) -> dict[int, float | None]:
    """Per theme, the share of its cases now in it that are strongly negative (cases.sentiment.STRONGLY_NEGATIVE),
    to 4 places; None for a theme with no scored case. Every id asked for is a key."""
    theme_ids = sorted(set(theme_ids))
    counts = (
        CaseTheme.objects.filter(theme_id__in=theme_ids, case__negativity__isnull=False)
        .values("theme_id")
        .annotate(scored=Count("case_id"), strong=Count("case_id", filter=Q(case__negativity__gte=STRONGLY_NEGATIVE)))
    )
    shares: dict[int, float | None] = dict.fromkeys(theme_ids)
    for row in counts:
        shares[row["theme_id"]] = round(row["strong"] / row["scored"], 4)
    return shares


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


def case_browse_list(*, cases: QuerySet[Case]) -> QuerySet[Case]:
    """Those cases (the ones the user may read, cases.selectors.case_list_visible), newest first, each with its
    theme's id and label, its similarity to the theme's centre and how it got there (`theme_id`, `theme_label`,
    `theme_similarity`, `theme_source`; None when unassigned; the similarity also when never measured, e.g. moved
    by hand)."""
    return (
        cases.defer("embedding", "raw_payload")
        .annotate(
            theme_id=F("theme_link__theme_id"),
            theme_label=F("theme_link__theme__label"),
            theme_similarity=F("theme_link__similarity"),
            theme_source=F("theme_link__source"),
        )
        .order_by("-received_at", "-id")
    )


def cases_in_theme(*, cases: QuerySet[Case], theme: Theme) -> QuerySet[Case]:
    return cases.filter(theme_link__theme=theme)


def cases_unassigned(*, cases: QuerySet[Case], unassigned: bool) -> QuerySet[Case]:
    """Only the cases in no theme (no link, or a link to none), or with `unassigned` False only those in one."""
    in_none = Q(theme_link__isnull=True) | Q(theme_link__theme__isnull=True)
    return cases.filter(in_none) if unassigned else cases.exclude(in_none)


def curation_job_get(*, job_id: int) -> CurationJob | None:
    return CurationJob.objects.select_related("requested_by", "theme").filter(pk=job_id).first()


def curation_job_list() -> QuerySet[CurationJob]:
    return CurationJob.objects.select_related("requested_by").order_by("-created_at", "-id")


def curation_job_progress(*, job: CurationJob) -> dict:
    """What the job page polls: the status, steps done of the total, the themes made, the error if any."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_label": job.get_status_display(),
        "finished": job.is_finished,
        "steps_done": job.steps_done,
        "steps_total": job.steps_total,
        "result_theme_ids": list(job.result_theme_ids),
        "error": job.error,
    }


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
    """Every embedded case's id, analysis text and embedding; ClusteringError on a missing or malformed embedding.

    The vectors are streamed from the database SNAPSHOT_CHUNK_SIZE rows at a time into one preallocated array, so
    a million cases take their 1.5 GB once (no per-case array, no stacking copy).
    """
    rows = Case.objects.filter(embedded_at__isnull=False).order_by("id").values_list("id", "analysis_text", "embedding")
    capacity = rows.count()
    case_ids = np.empty(capacity, dtype=np.int64)
    embeddings = np.empty((capacity, EMBEDDING_DIMENSION), dtype=np.float32)
    texts: list[str] = []
    for case_id, text, data in rows.iterator(chunk_size=SNAPSHOT_CHUNK_SIZE):
        if data is None:
            raise ClusteringError(f"Case {case_id} is marked embedded but has no stored embedding.")
        vector = embedding_from_stored(data)
        if vector is None:
            raise ClusteringError(
                f"Case {case_id} has a stored embedding of {embedding_from_bytes(data).size} values; "
                f"expected {EMBEDDING_DIMENSION}."
            )
        position = len(texts)
        if position == capacity:
            # Cases embedded between the count and the read: grow, rarely.
            capacity = capacity + capacity // 4 + SNAPSHOT_CHUNK_SIZE
            case_ids = np.resize(case_ids, capacity)
            embeddings = np.resize(embeddings, (capacity, EMBEDDING_DIMENSION))
        case_ids[position] = case_id
        embeddings[position] = vector
        texts.append(text)
    if not texts:
        raise ClusteringError("No embedded cases to cluster.")
    count = len(texts)
    return CaseSnapshot(case_ids=case_ids[:count], texts=texts, embeddings=embeddings[:count])


def existing_themes() -> list[ExistingTheme]:
    """Active and dormant themes with the cases runs placed in them (merged themes live on through their survivor).

    Cases a team lead placed by hand (moves, merges, splits) are left out: no run moves them, and counting them
    would pair a merge's survivor with the cluster of the cases it absorbed instead of its own.
    """
    themes = list(Theme.objects.exclude(status=Theme.Status.MERGED).order_by("id").values_list("id", "centroid"))
    members: dict[int, set[int]] = {theme_id: set() for theme_id, _ in themes}
    links = (
        CaseTheme.objects.filter(theme_id__in=list(members))
        .exclude(source=CaseTheme.Source.MANUAL)
        .values_list("theme_id", "case_id")
    )
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
        vector = embedding_from_bytes(centroid) if centroid is not None else np.zeros(0, dtype=np.float32)
        if vector.shape == (EMBEDDING_DIMENSION,):
            ids.append(theme_id)
            vectors.append(vector)
    centroids = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, EMBEDDING_DIMENSION), np.float32)
    return SeededThemes(theme_ids=ids, centroids=centroids)


def active_theme_per_case(*, case_ids: np.ndarray) -> np.ndarray:
    """Per case, the id of its current active theme, or -1 (so a refit never merges two of them)."""
    theme_by_case = dict(CaseTheme.objects.filter(theme__status=Theme.Status.ACTIVE).values_list("case_id", "theme_id"))
    return np.array([theme_by_case.get(case_id, -1) for case_id in case_ids.tolist()], dtype=np.int64)
