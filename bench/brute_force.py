"""Brute force, replayed: the attack of issue #16 item 11 against the production settings, through Django's test client.

Creates one user (SQLite beside a temporary file unless DATABASE_URL names a database of its own), then sends
`--token-attempts` wrong passwords to POST /api/auth/token/ followed by the right one, and `--form-attempts` wrong
passwords to the login form followed by the right one, all from one address. Before the hardening every answer was
400 / 200 and the right password then worked.

Prints the status codes each run got and, last,
`token_answered_before_refusal=... token_right_password=... form_answered_before_refusal=... form_right_password=...`
(the wrong passwords checked before the first 429, and the status the right password then got).

    .venv/bin/python bench/brute_force.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def _setup_django() -> None:
    sys.path.insert(0, str(REPOSITORY_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "fixloop-bench-only")
    os.environ.setdefault("HTTPS_ONLY", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp()) / "bench.sqlite3"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _attack(client, url: str, username: str, attempts: int, password: str) -> tuple[Counter, int, int]:
    """The status counts of the wrong attempts, how many were answered before the first 429, the right one's status."""
    statuses = [
        client.post(url, {"username": username, "password": "wrong-password"}).status_code for _ in range(attempts)
    ]
    before_refusal = statuses.index(429) if 429 in statuses else attempts
    right = client.post(url, {"username": username, "password": password}).status_code
    return Counter(statuses), before_refusal, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token-attempts", type=int, default=300)
    parser.add_argument("--form-attempts", type=int, default=100)
    arguments = parser.parse_args()
    _setup_django()
    from django.contrib.auth.models import User
    from django.test import Client
    from rest_framework.test import APIClient

    password = "a-long-demo-password"
    for username in ("bench-api-user", "bench-form-user"):
        User.objects.filter(username=username).delete()
        User.objects.create_user(username=username, password=password)

    token = _attack(APIClient(), "/api/auth/token/", "bench-api-user", arguments.token_attempts, password)
    form = _attack(Client(), "/accounts/login/", "bench-form-user", arguments.form_attempts, password)
    print(
        f"token endpoint: {arguments.token_attempts} wrong passwords answered {dict(token[0])}; right one: {token[2]}"
    )
    print(f"login form: {arguments.form_attempts} wrong passwords answered {dict(form[0])}; right one: {form[2]}")
    print(
        f"token_answered_before_refusal={token[1]} token_right_password={token[2]} "
        f"form_answered_before_refusal={form[1]} form_right_password={form[2]}"
    )


if __name__ == "__main__":
    main()
