"""The simulated stream itself: daily volumes, the wording of each contact, and the CSV writer."""

from __future__ import annotations

import csv
import datetime
import math
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cases.simulation.design import (
    BRAND_HANDLES,
    CHANNEL_SHARES,
    COMPANY,
    DEFAULT_DAYS,
    DEFAULT_SEED,
    DEFAULT_TOTAL,
    FIX_DAY,
    HOUR_WEIGHTS,
    WEEKDAY_FACTORS,
)
from cases.simulation.problems import EMOJI, FIRST_NAMES, HASHTAGS, NEARBY_KEYS, OPENINGS, PROBLEMS, SLOTS, Problem


@dataclass(frozen=True)
class SimulatedContact:
    """One simulated inbound contact, with the problem it was generated from (the ground truth)."""

    external_id: str
    channel: str
    brand: str
    author_handle: str
    text: str
    received_at: datetime.datetime
    problem: str

    def as_row(self) -> dict:
        """The contact as an ingest row (`case_ingest_many`); the ground truth rides along in the raw payload."""
        return {
            "external_id": self.external_id,
            "channel": self.channel,
            "brand": self.brand,
            "author_handle": self.author_handle,
            "text": self.text,
            "received_at": self.received_at.isoformat(),
            "raw_payload": {"simulated": True, "problem": self.problem},
        }


def start_date(*, end: datetime.date, days: int = DEFAULT_DAYS) -> datetime.date:
    """The first day of a stream of `days` days ending on `end`."""
    return end - datetime.timedelta(days=days - 1)


def fix_date(*, end: datetime.date, days: int = DEFAULT_DAYS) -> datetime.date:
    """The date from which `FIXED_PROBLEM` falls to `FIX_FACTOR` of its volume."""
    return start_date(end=end, days=days) + datetime.timedelta(days=FIX_DAY)


def expected_daily_total(*, day: int, days: int, weekday: int, average: float) -> float:
    """Expected contacts on a day before problem changes: average x weekday rhythm x upward drift x slow wave."""
    drift = 0.85 + 0.3 * day / max(days - 1, 1)
    wave = 1.0 + 0.08 * math.sin(2 * math.pi * day / 28)
    return average * WEEKDAY_FACTORS[weekday] * drift * wave


def _typo(word: str, random: np.random.Generator) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    position = int(random.integers(1, len(word) - 1))
    kind = int(random.integers(3))
    if kind == 0:
        return word[:position] + word[position + 1 :]
    if kind == 1:
        return word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]
    return word[:position] + NEARBY_KEYS.get(word[position], word[position]) + word[position + 1 :]


def _fill(template: str, random: np.random.Generator) -> str:
    values = {name: str(random.choice(choices)) for name, choices in SLOTS.items()}
    values["order"] = f"#{int(random.integers(100000, 999999))}"
    values["code"] = "".join(random.choice(list(string.ascii_uppercase)) for _ in range(4)) + str(
        int(random.integers(10, 99))
    )
    return template.format(**values)


def _add_typos(text: str, random: np.random.Generator, probability: float) -> str:
    words = text.split(" ")
    return " ".join(_typo(word, random) if random.random() < probability else word for word in words)


def _compose(problem: Problem, channel: str, random: np.random.Generator, number: int) -> tuple[str, str]:
    """(author handle, text) for one contact, dressed for its channel."""
    body = _fill(str(random.choice(problem.templates)), random)
    if channel != "email":
        body = str(random.choice(OPENINGS)) + body
    if random.random() < 0.15:
        body = _add_typos(body, random, 0.12)
    if random.random() < 0.25:
        body = body.lower()
    elif random.random() < 0.03:
        body = body.upper()
    name = str(random.choice(FIRST_NAMES))
    handle = f"{name.lower()}{int(random.integers(1, 999))}"
    brand_handle = BRAND_HANDLES[problem.brand]
    if channel == "twitter":
        text = f"{brand_handle} {body}"
        if random.random() < 0.35:
            text += " " + str(random.choice(EMOJI))
        if random.random() < 0.2:
            text += " " + str(random.choice(HASHTAGS))
        if random.random() < 0.15:
            text += f" https://t.co/{''.join(random.choice(list(string.ascii_letters)) for _ in range(10))}"
        if random.random() < 0.1:
            text = f"@{COMPANY}Help " + text
        return f"@{handle}", text.strip()
    if channel == "facebook":
        text = body
        if random.random() < 0.3:
            text += " " + str(random.choice(EMOJI)) * int(random.integers(1, 4))
        if random.random() < 0.1:
            text += f" https://www.larkspur.com/orders/{int(random.integers(100000, 999999))}"
        return f"{name} {string.ascii_uppercase[number % 26]}.", text
    if channel == "chat":
        return f"visitor-{int(random.integers(10000, 99999))}", body
    greeting = str(random.choice(("Hello,", f"Dear {problem.brand},", "Hi there,", "To whom it may concern,")))
    signature = str(random.choice(("Thanks", "Regards", "Kind regards", "Thank you")))
    return f"{handle}@example.com", f"{greeting}\n\n{body}\n\n{signature},\n{name}"


def _daily_counts(*, days: int, end: datetime.date, total: int, random: np.random.Generator) -> list[list[int]]:
    """Poisson counts per day (rows) and problem (columns)."""
    first = start_date(end=end, days=days)
    shares = np.array([problem.share for problem in PROBLEMS])
    shares = shares / shares.sum()
    average = total / days
    counts = []
    for day in range(days):
        weekday = (first + datetime.timedelta(days=day)).weekday()
        expected_total = expected_daily_total(day=day, days=days, weekday=weekday, average=average)
        expected = [
            expected_total * share * problem.factor_on(day) for problem, share in zip(PROBLEMS, shares, strict=True)
        ]
        counts.append([int(value) for value in random.poisson(expected)])
    return counts


def simulate_contacts(
    *,
    seed: int = DEFAULT_SEED,
    days: int = DEFAULT_DAYS,
    end: datetime.date | None = None,
    total: int = DEFAULT_TOTAL,
) -> Iterator[SimulatedContact]:
    """The simulated stream, day by day in time order; about `total` contacts over `days` days ending on `end`."""
    end = end or datetime.date.today()
    random = np.random.default_rng(seed)
    counts = _daily_counts(days=days, end=end, total=total, random=random)
    first = start_date(end=end, days=days)
    channels, channel_weights = list(CHANNEL_SHARES), np.array(list(CHANNEL_SHARES.values()))
    hour_weights = np.array(HOUR_WEIGHTS, dtype=float) / sum(HOUR_WEIGHTS)
    number = 0
    for day, day_counts in enumerate(counts):
        midnight = datetime.datetime.combine(first + datetime.timedelta(days=day), datetime.time(), tzinfo=datetime.UTC)
        problems = [problem for problem, count in zip(PROBLEMS, day_counts, strict=True) for _ in range(count)]
        seconds = sorted(
            int(hour) * 3600 + int(random.integers(3600))
            for hour in random.choice(24, size=len(problems), p=hour_weights)
        )
        order = random.permutation(len(problems))
        for second, index in zip(seconds, order, strict=True):
            problem = problems[index]
            channel = str(random.choice(channels, p=channel_weights))
            handle, text = _compose(problem, channel, random, number)
            number += 1
            yield SimulatedContact(
                external_id=f"sim-{seed}-{number:07d}",
                channel=channel,
                brand=problem.brand,
                author_handle=handle,
                text=text,
                received_at=midnight + datetime.timedelta(seconds=second),
                problem=problem.key,
            )


GENERIC_COLUMNS = ("external_id", "text", "received_at", "channel", "brand", "author_handle", "problem")


def simulation_write_csv(*, path: Path | str, **simulation_options) -> int:
    """Write the stream as a `generic`-format CSV (plus a `problem` column, the ground truth); returns the rows."""
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(GENERIC_COLUMNS)
        for contact in simulate_contacts(**simulation_options):
            writer.writerow(
                [
                    contact.external_id,
                    contact.text,
                    contact.received_at.isoformat(),
                    contact.channel,
                    contact.brand,
                    contact.author_handle,
                    contact.problem,
                ]
            )
            written += 1
    return written
