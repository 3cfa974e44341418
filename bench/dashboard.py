"""Executive dashboard latency: the page and its JSON API over N seeded cases.

Seeds, into the database DATABASE_URL names (use a database of its own; SQLite beside a temporary file when unset),
`--cases` cases over `--days` days ending yesterday, across 3 brands and 5 channels, ~92% of them linked to one of
`--themes` themes (Zipf-like sizes), plus departments, issues and shipped fixes with stored impact series; then
recounts the daily tables with `daily_volumes_refresh()`. On PostgreSQL the cases and links are generated server-side
(`INSERT ... SELECT FROM generate_series`, no rows travel); on SQLite with bulk_create in batches of 10,000.
A database already holding exactly `--cases` bench cases is reused as it is.

Then requests GET /dashboards/ and GET /api/dashboard/executive/ as an executive through Django's test client
(the full middleware, view, selectors, charts and template path), `--requests` times each after two warm-ups.

Prints the seeding time, p50/p95/max per endpoint and, last, `p95_ms=<the worse of the two> page=... api=...`.

    createdb -h 127.0.0.1 -U postgres bench_dashboard
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard .venv/bin/python bench/dashboard.py --cases 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench-dashboard-"
BRANDS = ("acme", "globex", "initech")
CHANNELS = ("twitter", "facebook", "instagram", "chat", "email")
UNASSIGNED_PERCENT = 8
DEPARTMENTS = ("Logistics", "Billing", "Digital", "Stores", "Customer care")


def _setup_django() -> None:
    sys.path.insert(0, str(REPOSITORY_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "fixloop-bench-only")
    os.environ.setdefault("HTTPS_ONLY", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ["CASES_EMBED_ON_INGEST"] = "0"
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp()) / "bench.sqlite3"))
    import django

    django.setup()
    if not os.environ.get("DATABASE_URL"):
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def _theme_slots(theme_ids: list[int], slots: int = 1000) -> list[int]:
    """A list of `slots` theme ids where theme i appears in proportion to 1 / (i + 1)."""
    weights = [1 / (rank + 1) for rank in range(len(theme_ids))]
    total = sum(weights)
    result: list[int] = []
    for theme_id, weight in zip(theme_ids, weights, strict=True):
        result.extend([theme_id] * max(1, round(slots * weight / total)))
    return result[:slots] if len(result) >= slots else result + [theme_ids[0]] * (slots - len(result))


def _seed_cases_postgresql(*, cases: int, start: dt.datetime, seconds: int, slots: list[int]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cases_case (channel, external_id, brand, author_handle, text, received_at,
                reply_to_external_id, thread_external_id, raw_payload, ingested_at, analysis_text, embedding_model,
                embedded_text_hash)
            SELECT (%(channels)s::text[])[1 + n %% 5], %(prefix)s || n, (%(brands)s::text[])[1 + (n / 5) %% 3], '',
                   'bench case ' || n, %(start)s + ((n::bigint * 7919) %% %(seconds)s) * interval '1 second',
                   '', '', '{}'::jsonb, now(), '', '', ''
            FROM generate_series(1, %(cases)s) AS n
            """,
            {
                "channels": list(CHANNELS),
                "brands": list(BRANDS),
                "prefix": PREFIX,
                "start": start,
                "seconds": seconds,
                "cases": cases,
            },
        )
        cursor.execute(
            """
            INSERT INTO improvement_casetheme (case_id, theme_id, source, assigned_at)
            SELECT id, (%(slots)s::bigint[])[1 + (id * 2654435761) %% %(slot_count)s], 'fit', now()
            FROM cases_case WHERE external_id LIKE %(pattern)s AND id %% 100 >= %(unassigned)s
            """,
            {"slots": slots, "slot_count": len(slots), "pattern": PREFIX + "%", "unassigned": UNASSIGNED_PERCENT},
        )
        cursor.execute("ANALYZE cases_case")
        cursor.execute("ANALYZE improvement_casetheme")


def _seed_cases_sqlite(*, cases: int, start: dt.datetime, seconds: int, slots: list[int]) -> None:
    from cases.models import Case
    from improvement.models import CaseTheme

    batch = 10_000
    for first in range(1, cases + 1, batch):
        numbers = range(first, min(cases, first + batch - 1) + 1)
        created = Case.objects.bulk_create(
            [
                Case(
                    channel=CHANNELS[number % 5],
                    external_id=f"{PREFIX}{number}",
                    brand=BRANDS[(number // 5) % 3],
                    text=f"bench case {number}",
                    received_at=start + dt.timedelta(seconds=(number * 7919) % seconds),
                )
                for number in numbers
            ]
        )
        CaseTheme.objects.bulk_create(
            [
                CaseTheme(
                    case_id=case.pk, theme_id=slots[(case.pk * 2654435761) % len(slots)], source=CaseTheme.Source.FIT
                )
                for case in created
                if case.pk % 100 >= UNASSIGNED_PERCENT
            ]
        )


def _seed_workflow(*, themes: list, end: dt.date) -> None:
    """Departments, an executive, and per department two issues with a shipped, measured fix and a proposed one."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from improvement.models import Department, FixImpact, FixTicket, ImprovementIssue, IssueEvent
    from improvement.permissions import EXECUTIVE

    user, _ = get_user_model().objects.get_or_create(username="bench-executive")
    user.groups.add(Group.objects.get_or_create(name=EXECUTIVE)[0])
    for index, name in enumerate(DEPARTMENTS):
        department, _ = Department.objects.get_or_create(name=name, defaults={"slug": name.lower().replace(" ", "-")})
        for number in range(2):
            theme = themes[(index * 2 + number) % len(themes)]
            issue = ImprovementIssue.objects.create(title=f"{theme.label} ({name})", problem_statement="bench")
            issue.themes.set([theme])
            shipped_on = end - dt.timedelta(days=20 + 9 * (index * 2 + number))
            fix = FixTicket.objects.create(
                issue=issue,
                department=department,
                description=f"Fix {theme.label}",
                status=FixTicket.Status.WORKING,
                shipped_on=shipped_on,
            )
            FixTicket.objects.create(issue=issue, department=department, description="Another idea")
            for to_status, days in (("accepted", 5), ("shipped", 0)):
                event = IssueEvent.objects.create(
                    issue=issue, fix=fix, kind=IssueEvent.Kind.FIX_STATUS, to_status=to_status
                )
                IssueEvent.objects.filter(pk=event.pk).update(
                    created_at=timezone.now() - dt.timedelta(days=(end - shipped_on).days + days)
                )
            post = [(shipped_on + dt.timedelta(days=offset)).isoformat() for offset in range((end - shipped_on).days)]
            pre = [(shipped_on - dt.timedelta(days=56 - offset)).isoformat() for offset in range(56)]
            FixImpact.objects.create(
                fix=fix,
                computed_at=timezone.now(),
                ship_date=shipped_on,
                theme_ids=[theme.pk],
                verdict="working",
                is_provisional=False,
                post_days_observed=len(post),
                pre_days_used=56,
                relative_effect=-0.3,
                ci_low=-0.4,
                ci_high=-0.2,
                p_value=0.01,
                contacts_avoided=300.0,
                contacts_avoided_low=200.0,
                contacts_avoided_high=400.0,
                actual_total=700,
                counterfactual_total=1000.0,
                dates=post,
                actual=[70] * len(post),
                counterfactual=[100.0] * len(post),
                low=[80.0] * len(post),
                high=[120.0] * len(post),
                pre_dates=pre,
                pre_actual=[100] * len(pre),
            )


def seed(*, cases: int, days: int, theme_count: int) -> float:
    """Seed the bench data set unless exactly `cases` bench cases are already there; returns seconds spent."""
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from cases.models import Case
    from improvement.models import CaseTheme, Theme
    from improvement.volumes.services import daily_volumes_refresh

    existing = Case.objects.filter(external_id__startswith=PREFIX).count()
    if existing == cases:
        print(f"reusing {existing:,} bench cases already seeded", flush=True)
        return 0.0
    if existing or Case.objects.exists():
        sys.exit(f"the database already holds cases ({existing:,} of this bench); use an empty, migrated database")
    began = time.perf_counter()
    end = timezone.localdate() - dt.timedelta(days=1)
    start = dt.datetime.combine(end - dt.timedelta(days=days - 1), dt.time.min, tzinfo=timezone.get_current_timezone())
    with transaction.atomic():
        themes = [
            Theme.objects.create(label=f"Bench theme {number + 1}", keywords=[f"word{number}"])
            for number in range(theme_count)
        ]
        slots = _theme_slots([theme.pk for theme in themes])
        seeder = _seed_cases_postgresql if connection.vendor == "postgresql" else _seed_cases_sqlite
        seeder(cases=cases, start=start, seconds=days * 86_400, slots=slots)
        sizes = dict(
            CaseTheme.objects.values("theme_id")
            .annotate(size=Count("case_id"))
            .values_list("theme_id", "size")
            .order_by()
        )
        for theme in themes:
            theme.size = sizes.get(theme.pk, 0)
            theme.representative_case_ids = list(
                CaseTheme.objects.filter(theme=theme).order_by("case_id").values_list("case_id", flat=True)[:5]
            )
            theme.save(update_fields=["size", "representative_case_ids"])
        print(f"cases and links inserted in {time.perf_counter() - began:.1f}s", flush=True)
        refreshed = time.perf_counter()
        rows = daily_volumes_refresh()
        print(f"daily_volumes_refresh: {rows:,} rows in {time.perf_counter() - refreshed:.1f}s", flush=True)
        _seed_workflow(themes=themes, end=end)
    return time.perf_counter() - began


def measure(*, path: str, requests: int) -> list[float]:
    """Milliseconds per GET of `path` as the bench executive, after two warm-up requests."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-executive"))
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    timings = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--themes", type=int, default=30)
    parser.add_argument("--requests", type=int, default=40)
    arguments = parser.parse_args()
    _setup_django()
    from django.db import connection

    seconds = seed(cases=arguments.cases, days=arguments.days, theme_count=arguments.themes)
    print(
        f"database={connection.vendor} cases={arguments.cases:,} days={arguments.days} themes={arguments.themes} "
        f"seed_s={seconds:.1f} load_average={os.getloadavg()[0]:.1f} cores={os.cpu_count()}",
        flush=True,
    )
    results = {}
    for name, path in (("page", "/dashboards/"), ("api", "/api/dashboard/executive/")):
        timings = measure(path=path, requests=arguments.requests)
        results[name] = percentile(timings, 0.95)
        print(
            f"{name} {path}: n={len(timings)} p50_ms={statistics.median(timings):.1f} "
            f"p95_ms={results[name]:.1f} max_ms={max(timings):.1f}",
            flush=True,
        )
    print(f"p95_ms={max(results.values()):.1f} page={results['page']:.1f} api={results['api']:.1f}")


if __name__ == "__main__":
    main()
