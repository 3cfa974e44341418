"""The one way to write case-theme links, to recount theme sizes from them, and to lock themes for writing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from improvement.models import CaseTheme, Theme

WRITE_BATCH_SIZE = 1000
COLUMN_WRITE_BATCH_SIZE = 20_000
LINK_UPDATE_FIELDS = ["theme", "source", "similarity", "run", "assigned_at"]


def themes_lock_all() -> dict[int, Theme]:
    """Lock every theme row, in id order, for the rest of the transaction; returns them by id.

    Every writer of themes and links (a run's swap, curation, assignment) calls this first, before touching any
    link or count. A merge, split or move also writes rows of themes it did not name (sizes, merged_into, the day
    counts recounted for every theme, whose foreign keys lock their theme at commit), so locking only the named
    themes let a swap and a split each wait on the other; one lock over all themes, taken in one order, cannot.
    """
    return {theme.pk: theme for theme in Theme.objects.select_for_update().order_by("id")}


def themes_lock_shared() -> dict[int, Theme]:
    """Lock every theme row against a swap or curation (FOR KEY SHARE) for the rest of the transaction; by id.

    Incremental assignment calls this instead of themes_lock_all: it waits for a run's swap, a merge, a split or a
    move (they hold FOR UPDATE), but any number of assignments hold it together, so chunks of new cases are placed
    by several workers at once. It does not conflict with the size updates (FOR NO KEY UPDATE) they then make.
    """
    if connection.vendor == "postgresql":
        # Django's select_for_update has no KEY SHARE strength; the rows read next are the locked ones.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {connection.ops.quote_name(Theme._meta.db_table)} ORDER BY id FOR KEY SHARE"
            )
    return {theme.pk: theme for theme in Theme.objects.order_by("id")}


def case_theme_upsert(*, links: Sequence[CaseTheme]) -> None:
    """Insert the links, or overwrite a case's existing link with the new theme, source, similarity and run."""
    CaseTheme.objects.bulk_create(
        list(links),
        batch_size=WRITE_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["case"],
        update_fields=LINK_UPDATE_FIELDS,
    )


def case_theme_upsert_columns(
    *,
    case_ids: Sequence[int],
    theme_ids: Sequence[int | None],
    similarities: Sequence[float | None],
    source: str,
    run_id: int | None,
) -> None:
    """case_theme_upsert for links given as columns (a refit's million rows): no model object per row.

    On PostgreSQL one INSERT ... SELECT FROM unnest(...) ON CONFLICT per COLUMN_WRITE_BATCH_SIZE rows, each column
    one array parameter; elsewhere bulk upserts of CaseTheme objects, a batch at a time.
    """
    now = timezone.now()
    for start in range(0, len(case_ids), COLUMN_WRITE_BATCH_SIZE):
        stop = start + COLUMN_WRITE_BATCH_SIZE
        chunk = (list(case_ids[start:stop]), list(theme_ids[start:stop]), list(similarities[start:stop]))
        if connection.vendor != "postgresql":
            case_theme_upsert(
                links=[
                    CaseTheme(case_id=case_id, theme_id=theme_id, similarity=similarity, source=source, run_id=run_id)
                    for case_id, theme_id, similarity in zip(*chunk, strict=True)
                ]
            )
            continue
        table = connection.ops.quote_name(CaseTheme._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (case_id, theme_id, similarity, source, run_id, assigned_at) "
                "SELECT new.case_id, new.theme_id, new.similarity, %s, %s, %s "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::double precision[]) "
                "AS new (case_id, theme_id, similarity) "
                "ON CONFLICT (case_id) DO UPDATE SET theme_id = EXCLUDED.theme_id, similarity = EXCLUDED.similarity, "
                "source = EXCLUDED.source, run_id = EXCLUDED.run_id, assigned_at = EXCLUDED.assigned_at",
                [source, run_id, now, *chunk],
            )


def theme_sizes_adjust(*, changes: Counter[int]) -> None:
    """Add each change to its theme's size with F(), so concurrent adjustments add up.

    Themes are updated in id order, so two transactions adjusting overlapping themes wait, never deadlock.
    """
    for theme_id, change in sorted(changes.items()):
        if change:
            Theme.objects.filter(id=theme_id).update(size=F("size") + change)


def theme_sizes_recount() -> None:
    """Set every theme's size to its current number of linked cases."""
    counts = dict(
        CaseTheme.objects.filter(theme__isnull=False)
        .values("theme_id")
        .annotate(count=Count("case"))
        .order_by()
        .values_list("theme_id", "count")
    )
    themes = list(Theme.objects.only("id", "size"))
    for theme in themes:
        theme.size = counts.get(theme.pk, 0)
    Theme.objects.bulk_update(themes, ["size"], batch_size=WRITE_BATCH_SIZE)
