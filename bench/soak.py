"""Soak: mixed traffic of the four roles plus ingest against gunicorn and one real Celery worker, then a check
that every posted case is stored exactly once.

Needs PostgreSQL (`DATABASE_URL`, a database of its own) and Redis (`CELERY_BROKER_URL`). The script migrates
the database, seeds a small demo when it is empty (`manage.py demo --if-empty --cases N`; users lead, exec,
owner-<department>, admin, password `demo`), starts gunicorn on `--port` and `celery worker` (one process,
concurrency 1) itself, and stops both at the end, also on error or Ctrl-C.

Traffic, from `--clients` threads for `--seconds` (at most 600): each request picks a role by weight:
- lead: the themes page, the theme, issue and case lists (API);
- exec: the executive page and its JSON API;
- owner-<department> (each demo department in turn): the queue page, fix and issue lists (API);
- admin: case, clustering-run and department lists (API);
- ingest (as lead): POST /api/cases/bulk/ of `--batch` new cases, `--overlap` percent of them ids already
  posted (by any thread), so duplicates race for real.
Pages use a logged-in session, APIs a token. Cases are posted with `CASES_EMBED_ON_INGEST=0` unless `--embed`;
the worker runs what ingest enqueues after commit (the daily totals), and the script waits up to 60 s for the
queue to drain.

At the end the database is checked: every external id of a bulk post answered 200 is stored exactly once, no
case under the run's prefix was stored that was not posted, and the sum of `created` equals the stored count.

Prints requests/s, p50/p95 latency per kind, errors by status and, last,
`requests_per_s=... p95_ms=... errors=... posted_ids=... stored=... lost=... doubled=... unexpected=...`.

    createdb -h 127.0.0.1 -U postgres fx_soak
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fx_soak CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/soak.py --seconds 120
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import itertools
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAX_SECONDS = 600
PASSWORD = "demo"
ROLE_WEIGHTS = {"lead": 3, "exec": 3, "owner": 3, "admin": 1, "ingest": 2}
REQUEST_TIMEOUT_S = 60


@dataclass
class Outcome:
    kind: str
    status: int | str
    seconds: float


@dataclass
class IngestLedger:
    """Every id posted, split by whether its request was answered 200, and the summed counts of the answers."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ok_ids: set[str] = field(default_factory=set)
    failed_ids: set[str] = field(default_factory=set)
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    next_number: itertools.count = field(default_factory=itertools.count)
    posted: list[str] = field(default_factory=list)


def _environment(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "fixloop-soak-only"),
        "HTTPS_ONLY": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CASES_EMBED_ON_INGEST": "1" if args.embed else "0",
    }


def _manage(environment: dict[str, str], *arguments: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *arguments], cwd=REPOSITORY_ROOT, env=environment, check=True)


def _start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen:
    # A session of its own, so stopping it stops its children (gunicorn's and celery's workers) and nothing else.
    return subprocess.Popen(
        command,
        cwd=REPOSITORY_ROOT,
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_until_up(base_url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see its log")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {base_url}/healthz within {timeout:.0f}s")


class Session:
    """One demo user: an API token and a logged-in cookie session for the pages."""

    def __init__(self, base_url: str, username: str):
        self.base_url = base_url
        self.username = username
        body = json.dumps({"username": username, "password": PASSWORD}).encode()
        request = urllib.request.Request(
            f"{base_url}/api/auth/token/", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            self.token = json.load(response)["token"]
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{base_url}/accounts/login/", timeout=REQUEST_TIMEOUT_S) as response:
            form = response.read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        if csrf is None:
            raise SystemExit("the login page has no CSRF token")
        login = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf.group(1)}
        ).encode()
        with opener.open(
            urllib.request.Request(f"{base_url}/accounts/login/", data=login, headers={"Referer": base_url}),
            timeout=REQUEST_TIMEOUT_S,
        ):
            pass
        cookies = {cookie.name: cookie.value for cookie in jar}
        if "sessionid" not in cookies:
            raise SystemExit(f"logging in as {username} failed")
        self.cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())

    def request(self, kind: str, method: str, path: str, *, body: bytes | None = None, page: bool = False):
        headers = {"Cookie": self.cookie} if page else {"Authorization": f"Token {self.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"{self.base_url}{path}", data=body, headers=headers, method=method)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                payload = response.read()
                status: int | str = response.status
                # urllib follows redirects: a page that sent the user to the login form is no success.
                if urllib.parse.urlsplit(response.url).path != urllib.parse.urlsplit(request.full_url).path:
                    status = f"redirected to {urllib.parse.urlsplit(response.url).path}"
        except urllib.error.HTTPError as error:
            payload = error.read()
            status = error.code
        except OSError as error:
            payload = b""
            status = type(error).__name__
        return Outcome(kind, status, time.perf_counter() - started), payload


ROLE_PATHS = {
    "lead": [("page", "/dashboards/themes/"), ("api", "/api/themes/"), ("api", "/api/issues/"), ("api", "/api/cases/")],
    "exec": [("page", "/dashboards/"), ("api", "/api/dashboard/executive/")],
    "owner": [("page", "/dashboards/queue/"), ("api", "/api/fixes/"), ("api", "/api/issues/")],
    "admin": [("api", "/api/cases/"), ("api", "/api/clustering-runs/"), ("api", "/api/departments/")],
}


def _ingest(session: Session, ledger: IngestLedger, *, prefix: str, batch: int, overlap: int, rng: random.Random):
    with ledger.lock:
        reused = rng.sample(ledger.posted, min(len(ledger.posted), batch * overlap // 100))
        fresh = [f"{prefix}{next(ledger.next_number)}" for _ in range(batch - len(reused))]
        ledger.posted.extend(fresh)
    ids = fresh + reused
    rng.shuffle(ids)
    cases = [
        {
            "external_id": external_id,
            "channel": "chat",
            "brand": "Parcelly",
            "text": f"soak case {external_id}: my parcel is late again",
            "received_at": "2026-11-30T12:00:00Z",
        }
        for external_id in ids
    ]
    outcome, payload = session.request("ingest", "POST", "/api/cases/bulk/", body=json.dumps({"cases": cases}).encode())
    with ledger.lock:
        if outcome.status == 200:
            answer = json.loads(payload)
            ledger.ok_ids.update(ids)
            ledger.created += answer["created"]
            ledger.duplicates += answer["duplicates"]
            ledger.rejected += answer["rejected"]
        else:
            ledger.failed_ids.update(ids)
    return outcome


def _client_loop(
    *,
    seed: int,
    deadline: float,
    sessions: dict[str, Session],
    owners: list[str],
    ledger: IngestLedger,
    args: argparse.Namespace,
    prefix: str,
) -> list[Outcome]:
    rng = random.Random(seed)
    roles, weights = zip(*ROLE_WEIGHTS.items(), strict=True)
    outcomes: list[Outcome] = []
    while time.monotonic() < deadline:
        role = rng.choices(roles, weights)[0]
        if role == "ingest":
            outcomes.append(
                _ingest(sessions["lead"], ledger, prefix=prefix, batch=args.batch, overlap=args.overlap, rng=rng)
            )
            continue
        session = sessions[rng.choice(owners)] if role == "owner" else sessions[role]
        style, path = rng.choice(ROLE_PATHS[role])
        outcome, _ = session.request(f"{role} {path}", "GET", path, page=style == "page")
        outcomes.append(outcome)
    return outcomes


def _percentile(values: list[float], fraction: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def _queue_length(broker_url: str) -> int | None:
    import redis

    try:
        return int(redis.Redis.from_url(broker_url).llen("celery"))
    except redis.RedisError:
        return None


def _worker_tasks_done(environment: dict[str, str]) -> int | None:
    """How many tasks the worker has run, by `celery inspect stats` (None when it does not answer)."""
    answer = subprocess.run(
        [str(BIN / "celery"), "-A", "config", "inspect", "stats", "--json", "--timeout", "10"],
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    try:
        stats = json.loads(answer.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return sum(sum(worker.get("total", {}).values()) for worker in stats.values())


def _setup_django(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    sys.path.insert(0, str(REPOSITORY_ROOT))
    import django

    django.setup()


def _owner_usernames() -> list[str]:
    from django.contrib.auth import get_user_model
    from django.db import connections

    names = list(
        get_user_model()
        .objects.filter(username__startswith="owner-")
        .order_by("username")
        .values_list("username", flat=True)
    )
    connections.close_all()
    if not names:
        raise SystemExit("no owner-<department> users: seed the demo into an empty database")
    return names


def _check_database(prefix: str) -> tuple[set[str], int]:
    """The stored external ids under `prefix` and how many (channel, external_id) keys are stored more than once."""
    from django.db.models import Count

    from cases.models import Case

    stored = Case.objects.filter(external_id__startswith=prefix)
    doubled = stored.values("channel", "external_id").annotate(times=Count("id")).filter(times__gt=1).count()
    return set(stored.values_list("external_id", flat=True)), doubled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help=f"how long the traffic runs (at most {MAX_SECONDS})")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--batch", type=int, default=500, help="cases per bulk post")
    parser.add_argument("--overlap", type=int, default=20, help="percent of each bulk post already posted")
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--demo-cases", type=int, default=1_500, help="cases of the demo seeded into an empty db")
    parser.add_argument("--embed", action="store_true", help="queue embeddings of ingested cases for the worker")
    args = parser.parse_args()
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 1 and {MAX_SECONDS}")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL to a PostgreSQL database of its own")
    if not os.environ.get("CELERY_BROKER_URL"):
        parser.error("set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/12)")

    environment = _environment(args)
    _manage(environment, "migrate", "--verbosity", "0")
    _manage(environment, "demo", "--if-empty", "--cases", str(args.demo_cases), "--verbosity", "0")
    _setup_django(environment)
    owner_names = _owner_usernames()
    logs = Path(os.environ.get("SOAK_LOG_DIR", "/tmp"))
    base_url = f"http://127.0.0.1:{args.port}"
    server = _start(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.web_workers),
            "--timeout",
            "120",
        ],
        environment,
        logs / "soak-gunicorn.log",
    )
    worker = _start(
        [str(BIN / "celery"), "-A", "config", "worker", "--concurrency", "1", "--loglevel", "WARNING"],
        environment,
        logs / "soak-celery.log",
    )
    try:
        _wait_until_up(base_url, server)
        sessions = {name: Session(base_url, name) for name in ("lead", "exec", "admin")}
        sessions.update({name: Session(base_url, name) for name in owner_names})
        prefix = f"soak-{uuid.uuid4().hex[:8]}-"
        ledger = IngestLedger()
        started = time.monotonic()
        deadline = started + args.seconds
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            futures = [
                pool.submit(
                    _client_loop,
                    seed=seed,
                    deadline=deadline,
                    sessions=sessions,
                    owners=owner_names,
                    ledger=ledger,
                    args=args,
                    prefix=prefix,
                )
                for seed in range(args.clients)
            ]
            outcomes = [outcome for future in futures for outcome in future.result()]
        elapsed = time.monotonic() - started
        drain_deadline = time.monotonic() + 60
        while (queued := _queue_length(environment["CELERY_BROKER_URL"])) and time.monotonic() < drain_deadline:
            time.sleep(1)
        worker_alive = worker.poll() is None
        tasks_done = _worker_tasks_done(environment)
    finally:
        _stop(server)
        _stop(worker)

    stored, doubled = _check_database(prefix)
    lost = ledger.ok_ids - stored
    unexpected = stored - ledger.ok_ids - ledger.failed_ids
    _report(outcomes, elapsed, ledger, stored, lost, doubled, unexpected, queued, worker_alive, tasks_done)


def _report(outcomes, elapsed, ledger, stored, lost, doubled, unexpected, queued, worker_alive, tasks_done) -> None:
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome.seconds * 1000)
    for kind in sorted(by_kind):
        values = by_kind[kind]
        print(
            f"{kind:<34} n={len(values):>5} p50_ms={_percentile(values, 0.5):7.0f} "
            f"p95_ms={_percentile(values, 0.95):7.0f} max_ms={max(values):7.0f}"
        )
    errors = collections.Counter(str(outcome.status) for outcome in outcomes if outcome.status != 200)
    print("errors by status:", dict(sorted(errors.items())) or "none")
    print(
        f"ingest: {len(ledger.ok_ids):,} distinct ids in posts answered 200 ({len(ledger.failed_ids - ledger.ok_ids):,}"
        f" only in failed posts); created {ledger.created:,}, duplicates {ledger.duplicates:,}, "
        f"rejected {ledger.rejected:,}; stored {len(stored):,}"
    )
    print(
        f"celery: {tasks_done} tasks run by the worker; queue left after drain: {queued}; "
        f"worker alive at the end: {worker_alive}"
    )
    all_ms = [outcome.seconds * 1000 for outcome in outcomes]
    print(
        f"requests_per_s={len(outcomes) / elapsed:.1f} p95_ms={_percentile(all_ms, 0.95):.0f} "
        f"errors={sum(errors.values())} requests={len(outcomes)} seconds={elapsed:.0f} "
        f"posted_ids={len(ledger.ok_ids)} stored={len(stored)} created_sum={ledger.created} "
        f"lost={len(lost)} doubled={doubled} unexpected={len(unexpected)} queue_left={queued} tasks_done={tasks_done}"
    )


if __name__ == "__main__":
    main()
