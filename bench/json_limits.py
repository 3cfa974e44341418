"""The cost of the body limits: parsing a full bulk body (5,000 cases) with DRF's JSONParser and with
core.json_limits.LimitedJSONParser (size cap plus the nesting-depth walk), in process, no database.

Prints a line per parser and, last, `drf_ms=... limited_ms=... overhead_ms=... body_mb=...` (best of --repeat).

    .venv/bin/python bench/json_limits.py --repeat 5
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def _body(cases: int) -> bytes:
    return json.dumps(
        {
            "cases": [
                {
                    "external_id": str(number),
                    "channel": "twitter",
                    "brand": "Parcelly",
                    "text": f"@Parcelly parcel {number} is late, tracking says delivered but nothing arrived " * 3,
                    "received_at": "2026-11-20T09:30:00Z",
                    "raw_payload": {"user": {"id": number, "entities": {"urls": [{"url": "https://t.co/x"}]}}},
                }
                for number in range(cases)
            ]
        }
    ).encode()


def _best_ms(parser, body: bytes, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        parser.parse(io.BytesIO(body), "application/json", {})
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--cases", type=int, default=5_000)
    arguments.add_argument("--repeat", type=int, default=5)
    options = arguments.parse_args()
    sys.path.insert(0, str(REPOSITORY_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from rest_framework.parsers import JSONParser

    from core.json_limits import LimitedJSONParser

    body = _body(options.cases)
    drf_ms = _best_ms(JSONParser(), body, options.repeat)
    limited_ms = _best_ms(LimitedJSONParser(), body, options.repeat)
    print(f"parser=drf cases={options.cases} ms={drf_ms:.1f}")
    print(f"parser=limited cases={options.cases} ms={limited_ms:.1f}")
    print(
        f"drf_ms={drf_ms:.1f} limited_ms={limited_ms:.1f} overhead_ms={limited_ms - drf_ms:.1f} "
        f"body_mb={len(body) / 1_000_000:.1f}"
    )


if __name__ == "__main__":
    main()
