"""Long curation run as tasks: split a selection of cases out as a new theme, or split a theme by k-means.

A request validates, stores a queued CurationJob and enqueues its task after commit (improvement.curation_job_task);
the task claims the job (queued -> running, once: a second delivery does nothing), does the work in one
transaction under the theme lock, and records what it made. The page polls the job's steps and then links there.
A job whose worker died is failed by the beat sweep (curation_jobs_fail_stale) once it has run longer than its task
may live, or waited longer than the broker keeps an undelivered message, so it never stays "running" for ever.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases.embedding import embedding_from_stored, embedding_to_bytes
from cases.models import Case
from core.jobs import enqueue_on_commit
from improvement.errors import DomainError, Invalid, NotAllowed, ThemeStateError, error_messages
from improvement.models import CaseTheme, CurationJob, Theme, ThemeEvent
from improvement.models.themes import LABEL_MAX_LENGTH
from improvement.permissions import permission_require_curator
from improvement.themes import ml
from improvement.themes.selectors import theme_stop_words
from improvement.themes.services.curation import (
    MOVE_MAXIMUM_CASES,
    REPRESENTATIVE_COUNT,
    SPLIT_MAXIMUM_PARTS,
    SPLIT_MINIMUM_CASES_PER_PART,
    SPLIT_MINIMUM_PARTS,
    theme_split,
)
from improvement.themes.services.links import case_theme_upsert, theme_sizes_adjust, themes_lock_all
from improvement.volumes.services import daily_theme_volumes_refresh_for_cases

logger = logging.getLogger(__name__)

# The most cases one selection may hold (moved, split out or linked at once): the same cap as a move.
SELECTION_MAXIMUM_CASES = MOVE_MAXIMUM_CASES
# Background texts the new theme's label is contrasted with (the rest of the source themes), at most.
LABEL_BACKGROUND_CASES = 2000
LISTED_IDS = 20
CURATION_JOB_TASK = "improvement.curation_job_task"
# The steps a job reports, each committed as it ends: claimed and checked, then written.
JOB_STEPS = 2


def _listed(ids: Sequence[int]) -> str:
    return ", ".join(map(str, ids[:LISTED_IDS])) + (" ..." if len(ids) > LISTED_IDS else "")


def case_selection_validate(
    *, case_ids: Sequence[int], from_theme: Theme | None = None, maximum: int = SELECTION_MAXIMUM_CASES
) -> list[int]:
    """The selected ids, sorted and distinct; Invalid naming `case_ids` when empty, over `maximum`, unknown, or
    (with `from_theme`) not all currently in that theme."""
    try:
        ids = sorted({int(case_id) for case_id in case_ids})
    except (TypeError, ValueError):
        raise Invalid({"case_ids": "Case ids must be whole numbers."}) from None
    if not ids:
        raise Invalid({"case_ids": "Select at least one case."})
    if len(ids) > maximum:
        raise Invalid({"case_ids": f"Select at most {maximum:,} cases at a time ({len(ids):,} selected)."})
    known = set(Case.objects.filter(id__in=ids).values_list("id", flat=True))
    unknown = [case_id for case_id in ids if case_id not in known]
    if unknown:
        raise Invalid({"case_ids": f"Unknown case ids: {_listed(unknown)}."})
    if from_theme is not None:
        inside = set(CaseTheme.objects.filter(case_id__in=ids, theme=from_theme).values_list("case_id", flat=True))
        outside = [case_id for case_id in ids if case_id not in inside]
        if outside:
            raise Invalid({"case_ids": f"Not in theme {from_theme.pk}: {_listed(outside)}."})
    return ids


def _label_validated(label: str) -> str:
    label = (label or "").strip()
    if len(label) > LABEL_MAX_LENGTH:
        raise Invalid({"label": f"The label must be at most {LABEL_MAX_LENGTH} characters."})
    return label


def theme_split_selection_request(
    *, case_ids: Sequence[int], by: User, label: str = "", from_theme: Theme | None = None
) -> CurationJob:
    """Queue splitting the selected cases out as one new theme (named `label`, or by the model when blank).

    With `from_theme`, every case must be in that theme now; without it they may come from any theme or none.
    """
    permission_require_curator(by)
    label = _label_validated(label)
    if from_theme is not None and from_theme.status != Theme.Status.ACTIVE:
        raise ThemeStateError(f"Theme {from_theme.pk} is {from_theme.status}; split only an active theme.")
    ids = case_selection_validate(case_ids=case_ids, from_theme=from_theme)
    curation_jobs_fail_stale()  # the embedded default has no beat: a request sweeps too
    with transaction.atomic():
        job = CurationJob.objects.create(
            kind=CurationJob.Kind.SPLIT_SELECTION,
            requested_by=by,
            theme=from_theme,
            case_ids=ids,
            parameters={"label": label},
            steps_total=JOB_STEPS,
        )
        enqueue_on_commit(CURATION_JOB_TASK, job.pk)
    return job


def theme_split_kmeans_request(*, theme: Theme, by: User, parts: int = 2) -> CurationJob:
    """Queue re-clustering the theme into `parts` themes (curation.theme_split, run by the task)."""
    permission_require_curator(by)
    if not isinstance(parts, int) or isinstance(parts, bool) or not SPLIT_MINIMUM_PARTS <= parts <= SPLIT_MAXIMUM_PARTS:
        raise Invalid({"parts": f"Split into between {SPLIT_MINIMUM_PARTS} and {SPLIT_MAXIMUM_PARTS} parts."})
    if theme.status != Theme.Status.ACTIVE:
        raise ThemeStateError(f"Theme {theme.pk} is {theme.status}; only an active theme can be split.")
    embedded = Case.objects.filter(theme_link__theme=theme, embedded_at__isnull=False).count()
    if embedded < parts * SPLIT_MINIMUM_CASES_PER_PART:
        raise Invalid(
            {
                "parts": (
                    f"Theme {theme.pk} has {embedded} embedded cases; splitting into {parts} needs at least "
                    f"{parts * SPLIT_MINIMUM_CASES_PER_PART}."
                )
            }
        )
    curation_jobs_fail_stale()  # the embedded default has no beat: a request sweeps too
    with transaction.atomic():
        job = CurationJob.objects.create(
            kind=CurationJob.Kind.SPLIT_KMEANS,
            requested_by=by,
            theme=theme,
            parameters={"parts": parts},
            steps_total=JOB_STEPS,
        )
        enqueue_on_commit(CURATION_JOB_TASK, job.pk)
    return job


def _selection_split(job: CurationJob) -> list[int]:
    """Make the new theme from the job's selection; returns [its id]."""
    by = job.requested_by
    from_theme = Theme.objects.filter(pk=job.theme_id).first() if job.theme_id else None
    with transaction.atomic():
        locked = themes_lock_all()
        if job.theme_id and from_theme is None:
            raise ThemeStateError(f"Theme {job.theme_id} no longer exists.")
        if from_theme is not None and locked[from_theme.pk].status != Theme.Status.ACTIVE:
            raise ThemeStateError(f"Theme {from_theme.pk} is {locked[from_theme.pk].status} now; nothing was split.")
        ids = case_selection_validate(case_ids=job.case_ids, from_theme=from_theme)
        previous = dict(CaseTheme.objects.filter(case_id__in=ids).values_list("case_id", "theme_id"))
        rows = Case.objects.filter(id__in=ids).order_by("id").values_list("id", "analysis_text", "text", "embedding")
        texts, vectors, embedded_ids = [], [], []
        for case_id, analysis_text, text, data in rows:
            texts.append(analysis_text or text)
            vector = embedding_from_stored(data) if data is not None else None
            if vector is not None:
                vectors.append(vector)
                embedded_ids.append(case_id)
        source_ids = sorted({theme_id for theme_id in previous.values() if theme_id is not None})
        background = list(
            Case.objects.filter(theme_link__theme_id__in=source_ids)
            .exclude(id__in=ids)
            .order_by("id")
            .values_list("analysis_text", flat=True)[:LABEL_BACKGROUND_CASES]
        )
        model_label, keywords = ml.label_keywords(
            texts=texts, stop_words=theme_stop_words(), background_texts=background
        )
        chosen = job.parameters.get("label", "")
        centroid = ml.unit_centroid(np.stack(vectors)) if vectors else None
        similarity = {}
        representatives: list[int] = []
        if centroid is not None:
            embeddings = np.stack(vectors)
            similarity = dict(zip(embedded_ids, (embeddings @ centroid).tolist(), strict=True))
            representatives = [
                embedded_ids[i]
                for i in ml.closest_indices(embeddings=embeddings, centroid=centroid, count=REPRESENTATIVE_COUNT)
            ]
        theme = Theme.objects.create(
            label=(chosen or model_label)[:LABEL_MAX_LENGTH],
            is_label_custom=bool(chosen),
            model_label=model_label[:LABEL_MAX_LENGTH],
            keywords=keywords,
            representative_case_ids=representatives or ids[:REPRESENTATIVE_COUNT],
            centroid=embedding_to_bytes(centroid) if centroid is not None else None,
            size=0,
        )
        case_theme_upsert(
            links=[
                CaseTheme(
                    case_id=case_id,
                    theme=theme,
                    source=CaseTheme.Source.MANUAL,
                    similarity=similarity.get(case_id),
                    assigned_at=timezone.now(),
                )
                for case_id in ids
            ]
        )
        moved_from: dict[int | None, list[int]] = {}
        for case_id in ids:
            moved_from.setdefault(previous.get(case_id), []).append(case_id)
        sizes: Counter[int] = Counter({theme.pk: len(ids)})
        for theme_id, moved in moved_from.items():
            if theme_id is not None:
                sizes[theme_id] -= len(moved)
        theme_sizes_adjust(changes=sizes)
        from_keys = {str(key) if key is not None else "unassigned": value for key, value in moved_from.items()}
        events = [
            ThemeEvent(
                theme=theme,
                kind=ThemeEvent.Kind.CREATED,
                actor=by,
                data={"split_from": from_keys, "case_count": len(ids), "job": job.pk},
            )
        ]
        events.extend(
            ThemeEvent(
                theme=locked[theme_id],
                kind=ThemeEvent.Kind.SPLIT,
                actor=by,
                data={"into": [theme.pk], "case_ids": moved, "selection": True, "job": job.pk},
            )
            for theme_id, moved in moved_from.items()
            if theme_id is not None
        )
        ThemeEvent.objects.bulk_create(events)
        daily_theme_volumes_refresh_for_cases(case_ids=ids)
    return [theme.pk]


def _kmeans_split(job: CurationJob) -> list[int]:
    theme = Theme.objects.filter(pk=job.theme_id).first() if job.theme_id is not None else None
    if theme is None:
        raise ThemeStateError(f"Theme {job.theme_id} no longer exists.")
    # The job's requester is checked before a job runs (a job of a deleted user fails without running).
    assert job.requested_by is not None
    return [part.pk for part in theme_split(theme=theme, by=job.requested_by, parts=job.parameters.get("parts", 2))]


def _requester_check(job: CurationJob) -> None:
    """Every event the work writes names its actor: the requester, who must still exist and be allowed to curate."""
    if job.requested_by is None:
        raise NotAllowed("The user who requested this job no longer exists; nothing was changed.")
    permission_require_curator(job.requested_by)


def curation_job_execute(*, job_id: int) -> CurationJob | None:
    """Run a queued job once (None when another delivery already claimed it or it is gone); returns it finished.

    A refusal found while running (a case moved away since the request, the theme merged) fails the job with its
    message and changes nothing; any other error fails it and is raised.
    """
    claimed = CurationJob.objects.filter(pk=job_id, status=CurationJob.Status.QUEUED).update(
        status=CurationJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = CurationJob.objects.select_related("requested_by").get(pk=job_id)
    CurationJob.objects.filter(pk=job_id).update(steps_done=1)
    work = _selection_split if job.kind == CurationJob.Kind.SPLIT_SELECTION else _kmeans_split
    try:
        _requester_check(job)
        made = work(job)
    except DomainError as error:
        _finish(job, status=CurationJob.Status.FAILED, error=" ".join(error_messages(error)))
        return job
    except Exception as error:
        _finish(job, status=CurationJob.Status.FAILED, error=f"Failed unexpectedly: {type(error).__name__}.")
        raise
    _finish(job, status=CurationJob.Status.SUCCEEDED, made=made)
    return job


def curation_jobs_fail_stale(*, now: datetime | None = None) -> int:
    """Fail the jobs whose worker is gone; returns how many.

    A running job is stale once it started more than CURATION_JOB_RUNNING_TIMEOUT_SECONDS ago (longer than its
    task's hard time limit, so a live worker would have been stopped by then); a queued job once it waited
    CURATION_JOB_QUEUED_TIMEOUT_SECONDS (longer than the broker takes to deliver a message again). Each update is
    conditional on the status, so a job finishing meanwhile keeps its result and a second sweep does nothing.
    """
    now = now or timezone.now()
    running_timeout = settings.CURATION_JOB_RUNNING_TIMEOUT_SECONDS
    queued_timeout = settings.CURATION_JOB_QUEUED_TIMEOUT_SECONDS
    failed = CurationJob.objects.filter(
        status=CurationJob.Status.RUNNING, started_at__lt=now - timedelta(seconds=running_timeout)
    ).update(
        status=CurationJob.Status.FAILED,
        finished_at=now,
        error=f"Worker lost: still running after {running_timeout} s; nothing was changed by this job.",
    )
    failed += CurationJob.objects.filter(
        status=CurationJob.Status.QUEUED, created_at__lt=now - timedelta(seconds=queued_timeout)
    ).update(
        status=CurationJob.Status.FAILED,
        finished_at=now,
        error=f"Never started: still queued after {queued_timeout} s.",
    )
    if failed:
        logger.warning("Failed %s curation job(s) whose worker was lost", failed)
    return failed


def _finish(job: CurationJob, *, status: str, error: str = "", made: list[int] | None = None) -> None:
    job.status = status
    job.error = error
    job.result_theme_ids = made or []
    job.steps_done = job.steps_total if status == CurationJob.Status.SUCCEEDED else job.steps_done
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "result_theme_ids", "steps_done", "finished_at"])
