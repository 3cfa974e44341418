"""Start Celery work by task name once the current transaction commits.

Services call `enqueue_on_commit` instead of importing task modules, so the static import graph points one
way (tasks import services, never the reverse) and an app can start another app's task without importing it.
With `CELERY_TASK_ALWAYS_EAGER` (the embedded default, tests) the task runs in process after the commit: in the
request's thread, or, for a task declared `long_running=True` while EAGER_LONG_TASKS_IN_BACKGROUND is on (`make run`),
on one background thread of this process, so the response does not wait for a split or a refit.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction

logger = logging.getLogger(__name__)

# Transient: the database went away or a connection broke; anything else is a bug and must not be retried.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)
# Notification tasks also retry a mail server that went away.
TRANSIENT_NOTIFY_ERRORS = (*TRANSIENT_DATABASE_ERRORS, smtplib.SMTPException, ConnectionError, TimeoutError)


def retrying_task_options(*, retry_backoff: int, soft_time_limit: int, time_limit: int) -> dict[str, Any]:
    """Options of a task that retries (3 times, jittered backoff from `retry_backoff` s) when the database went away."""
    return {
        "autoretry_for": TRANSIENT_DATABASE_ERRORS,
        "max_retries": 3,
        "retry_backoff": retry_backoff,
        "retry_jitter": True,
        "soft_time_limit": soft_time_limit,
        "time_limit": time_limit,
    }


NOTIFY_TASK_OPTIONS = {
    "autoretry_for": TRANSIENT_NOTIFY_ERRORS,
    "max_retries": 5,
    "retry_backoff": 30,
    "retry_jitter": True,
    "soft_time_limit": 60,
    "time_limit": 90,
}


def registered_task(task_name: str) -> Task:
    """The task of that name, importing every app's tasks first if it is not registered yet.

    A worker imports them all on start; a process running tasks eagerly (tests, `manage.py` commands) may not have.
    """
    if task_name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[task_name]


def enqueue_on_commit(task_name: str, *args: Any, robust: bool = False) -> None:
    """Send the named task with these JSON-able arguments after the current transaction commits (now if none).

    `robust` logs instead of raising when sending (or, eagerly, running) fails: for work a backfill catches up on.
    """
    enqueue_all_on_commit([(task_name, args)], robust=robust)


def enqueue_all_on_commit(tasks: Sequence[tuple[str, Sequence[Any]]], *, robust: bool = False) -> None:
    """Send several named tasks, in order, from one callback after the current transaction commits."""

    def send() -> None:
        for task_name, args in tasks:
            task = registered_task(task_name)
            if _runs_in_background(task):
                _background_submit(task, args)
            else:
                task.delay(*args)

    if tasks:
        transaction.on_commit(send, robust=robust)


# One thread: long jobs run one after another, as on a single worker, and SQLite sees one background writer.
_background_lock = threading.Lock()
_background_executor: ThreadPoolExecutor | None = None
_background_futures: set[Future] = set()


def _runs_in_background(task: Task) -> bool:
    return bool(
        getattr(task, "long_running", False)
        and current_app.conf.task_always_eager
        and settings.EAGER_LONG_TASKS_IN_BACKGROUND
    )


def _background_run(task: Task, args: Sequence[Any]) -> None:
    try:
        task.apply(args=list(args), throw=True)
    except Exception:
        # The task records its own failure (a failed job or run); nobody waits on this thread to hear of it.
        logger.exception("Background task %s%r failed", task.name, tuple(args))
    finally:
        connections.close_all()


def _background_submit(task: Task, args: Sequence[Any]) -> None:
    global _background_executor
    with _background_lock:
        if _background_executor is None:
            _background_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fixloop-job")
        future = _background_executor.submit(_background_run, task, args)
        _background_futures.add(future)
    future.add_done_callback(_background_futures.discard)


def background_tasks_wait(*, timeout: float) -> bool:
    """Wait until every task handed to the background thread so far has finished; False if `timeout` s passed first."""
    with _background_lock:
        pending = list(_background_futures)
    _, not_done = futures_wait(pending, timeout=timeout)
    return not not_done
