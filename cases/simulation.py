"""A SIMULATED stream of customer contacts for the demo: invented brands, problems and people, no real data.

Larkspur, an invented retailer, is contacted through three brand accounts ("Larkspur" for the shops and
the website, "Larkspur Delivery" for parcels, "Larkspur Pay" for its card and wallet) on four channels
(twitter, facebook, chat, email). Over `days` days ending on `end` (default: 120 days ending today), 15
recurring problems come in, each written many ways: templates with slots, synonyms, typos, emoji, @handles,
URLs and order numbers, so that cleaning the text matters.

The volume has a weekday rhythm (Mondays busiest, Sundays quietest), a total that drifts upward with a slow
wave, day-to-day Poisson noise, and one outage burst ("Website or app is down", `OUTAGE_DAYS`). Two problems
are there for the demo's fixes and their impact measurement:

- `FIXED_PROBLEM` ("Parcel marked delivered but not received") falls to half its volume from day
  `FIX_DAY` (a known date: `fix_date(end=..., days=...)`);
- `CONTROL_PROBLEM` ("Refund not received") keeps the same expected volume throughout.

Everything is decided by `seed`: the same seed, end date and size give the same contacts. The design
(problems, their departments, the fix date) is plain data in `PROBLEMS` and the constants below, for the
impact measurement and the demo fixes to read.
"""

from __future__ import annotations

import csv
import datetime
import math
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_SEED = 3
DEFAULT_DAYS = 120
DEFAULT_TOTAL = 8000
COMPANY = "Larkspur"
BRANDS = {"shop": "Larkspur", "delivery": "Larkspur Delivery", "pay": "Larkspur Pay"}
BRAND_HANDLES = {"Larkspur": "@Larkspur", "Larkspur Delivery": "@LarkspurDelivers", "Larkspur Pay": "@LarkspurPay"}
CHANNEL_SHARES = {"twitter": 0.45, "facebook": 0.2, "chat": 0.2, "email": 0.15}
# Expected volume by weekday (Monday first), relative to an average day.
WEEKDAY_FACTORS = (1.25, 1.15, 1.05, 1.0, 0.95, 0.8, 0.8)
FIX_DAY = 80
FIX_FACTOR = 0.5
OUTAGE_DAYS = {45: 30.0, 46: 8.0}
FIXED_PROBLEM = "parcel-marked-delivered"
CONTROL_PROBLEM = "refund-not-received"
OUTAGE_PROBLEM = "site-down"
# Hours of the day people write, as relative weights from 00:00 to 23:00 UTC.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 9, 9, 9, 9, 9, 10, 11, 10, 7, 4, 2)


@dataclass(frozen=True)
class Problem:
    """One recurring problem: who owns it, how often it comes, and how people word it."""

    key: str
    name: str
    department: str
    brand_key: str
    share: float
    templates: tuple[str, ...]
    # Relative expected volume from a day index on: (day, factor) pairs, the last one reached applies.
    changes: tuple[tuple[int, float], ...] = ()
    bursts: dict[int, float] = field(default_factory=dict)

    @property
    def brand(self) -> str:
        return BRANDS[self.brand_key]

    def factor_on(self, day: int) -> float:
        """The problem's expected volume on a day, relative to its usual share."""
        factor = 1.0
        for change_day, change_factor in self.changes:
            if day >= change_day:
                factor = change_factor
        return factor * self.bursts.get(day, 1.0)


# Slots filled at random in every template; several words per slot are the synonyms.
SLOTS: dict[str, tuple[str, ...]] = {
    "parcel": ("parcel", "package", "order", "delivery", "parcel", "box"),
    "item": (
        "jacket",
        "kettle",
        "running shoes",
        "phone case",
        "sofa cushions",
        "lamp",
        "headphones",
        "desk chair",
        "kids' bike",
        "coffee machine",
    ),
    "days": ("2", "3", "4", "5", "6", "7", "8", "9", "10", "two", "three", "five"),
    "courier": ("courier", "driver", "delivery guy", "delivery driver", "van driver"),
    "app": ("app", "Larkspur app", "iPhone app", "android app", "mobile app"),
    "site": ("website", "site", "web shop", "online shop", "larkspur.com"),
    "card": ("card", "Larkspur Pay card", "debit card", "credit card", "virtual card"),
    "amount": ("£12.99", "£45", "€60", "£8.50", "£129", "£23.40", "$35", "£210"),
    "store": ("Leeds", "Camden", "Bristol", "Glasgow", "Manchester Arndale", "Cardiff", "Brighton", "Norwich"),
    "angry": (
        "",
        "",
        "",
        " Ridiculous.",
        " Not good enough.",
        " Sort it out!",
        " So annoyed.",
        " Seriously??",
        " Fuming.",
        " Unacceptable.",
    ),
    "ask": (
        "Can you help?",
        "What's going on?",
        "Please help",
        "Any update?",
        "Can someone look into this?",
        "What do I do now?",
        "pls advise",
        "Help!",
    ),
    "minutes": ("20", "25", "30", "40", "45", "forty", "thirty"),
    "time": ("yesterday", "on Monday", "last week", "this morning", "on Friday", "two days ago", "at the weekend"),
}

PROBLEMS: tuple[Problem, ...] = (
    Problem(
        "parcel-late",
        "Parcel late or stuck in transit",
        "Logistics",
        "delivery",
        0.10,
        (
            "my {parcel} is {days} days late and tracking hasn't moved. {ask}",
            "where is my {parcel}?? ordered a {item} {time}, still says in transit{angry}",
            "tracking has said 'out for delivery' for {days} days now. {ask}",
            "{parcel} stuck at the depot for {days} days, no updates at all{angry}",
            "still waiting on my {item}, it was due {time}. {ask}",
            "estimated delivery came and went, my {parcel} is nowhere. {ask}",
        ),
    ),
    Problem(
        FIXED_PROBLEM,
        "Parcel marked delivered but not received",
        "Logistics",
        "delivery",
        0.10,
        (
            "tracking says my {parcel} was delivered {time} but nothing arrived{angry}",
            "app says delivered, there is no {parcel} at my door. {ask}",
            "{parcel} marked as delivered but I never got it. {ask}",
            "the {courier} marked it delivered and there's nothing here, not with neighbours either{angry}",
            "got a 'your {parcel} has been delivered' email but no {item} anywhere. {ask}",
            "delivered to who?? I was home all day and no {parcel}{angry}",
        ),
        changes=((FIX_DAY, FIX_FACTOR),),
    ),
    Problem(
        "parcel-damaged",
        "Parcel arrived damaged",
        "Logistics",
        "delivery",
        0.06,
        (
            "my {item} arrived smashed, box completely crushed{angry}",
            "the {courier} left the {parcel} in the rain and everything is soaked. {ask}",
            "{parcel} turned up damaged, the {item} is broken. {ask}",
            "the box was torn open when it arrived and the {item} is scratched{angry}",
        ),
    ),
    Problem(
        "missed-delivery-slot",
        "Courier missed the delivery slot",
        "Logistics",
        "delivery",
        0.06,
        (
            "waited in all day for my slot and the {courier} never came{angry}",
            "booked the 8-12 slot, nobody turned up. {ask}",
            "the {courier} left a 'sorry we missed you' card but I was in!{angry}",
            "missed my delivery slot again, that's the second time. {ask}",
        ),
    ),
    Problem(
        CONTROL_PROBLEM,
        "Refund not received",
        "Billing",
        "shop",
        0.09,
        (
            "returned my {item} {days} weeks ago and still no refund. {ask}",
            "where is my refund of {amount}? it's been {days} weeks{angry}",
            "you confirmed the return but the money never came back to my account. {ask}",
            "still waiting for my refund for order {order}. {ask}",
            "refund promised within 5 days, it's been {days} weeks{angry}",
        ),
    ),
    Problem(
        "double-charged",
        "Charged twice for one order",
        "Billing",
        "pay",
        0.07,
        (
            "I've been charged twice for the same order, {amount} taken two times{angry}",
            "double charge on my {card} for order {order}. {ask}",
            "you took {amount} twice from my account. {ask}",
            "two identical payments of {amount} for one order??{angry}",
        ),
    ),
    Problem(
        "promo-code",
        "Promo code not accepted",
        "Digital",
        "shop",
        0.06,
        (
            "your promo code doesn't work at checkout, says invalid. {ask}",
            "discount code {code} not accepted on the {site}{angry}",
            "tried the 20% off code from your email, it says expired but it's not. {ask}",
            "voucher won't apply to my basket. {ask}",
        ),
    ),
    Problem(
        "card-declined",
        "Card declined though funds are there",
        "Billing",
        "pay",
        0.06,
        (
            "my {card} keeps getting declined but there's money on it. {ask}",
            "payment declined at the till {time}, so embarrassing{angry}",
            "{card} declined online again, the bank says it's your side. {ask}",
            "why does my {card} get rejected every time I pay?{angry}",
        ),
    ),
    Problem(
        "app-login",
        "Cannot log in to the app",
        "Digital",
        "shop",
        0.07,
        (
            "can't log in to the {app}, it just spins forever. {ask}",
            "the {app} logs me out every time I open it{angry}",
            "login keeps failing on the {app} even with the right password. {ask}",
            "{app} crashes as soon as I try to sign in{angry}",
        ),
    ),
    Problem(
        "password-reset",
        "Password reset email never arrives",
        "Digital",
        "shop",
        0.05,
        (
            "never get the password reset email, checked spam too. {ask}",
            "requested a password reset {days} times, no email. {ask}",
            "reset link never arrives so I'm locked out of my account{angry}",
            "forgot my password and the reset email isn't coming. {ask}",
        ),
    ),
    Problem(
        OUTAGE_PROBLEM,
        "Website or app is down",
        "Digital",
        "shop",
        0.02,
        (
            "is the {site} down? getting an error page. {ask}",
            "{site} not loading at all{angry}",
            "can't check out, the {site} keeps throwing a 500 error. {ask}",
            "your {app} and {site} are both down?{angry}",
        ),
        bursts=OUTAGE_DAYS,
    ),
    Problem(
        "out-of-stock",
        "Item shown in stock but unavailable in store",
        "Stores",
        "shop",
        0.07,
        (
            "{site} said the {item} was in stock at {store}, drove there and they had none{angry}",
            "stock checker is wrong again, {store} store had no {item}. {ask}",
            "click and collect cancelled because the {item} is out of stock after all. {ask}",
            "went to {store} for the {item} your site showed in stock, wasted trip{angry}",
        ),
    ),
    Problem(
        "checkout-queue",
        "Long queues and broken self-checkouts in store",
        "Stores",
        "shop",
        0.06,
        (
            "queued for {minutes} minutes at {store}, only one till open{angry}",
            "self checkouts at {store} all broken again. {ask}",
            "why is there never enough staff on the tills at {store}?{angry}",
            "half the self-service tills out of order at {store} {time}{angry}",
        ),
    ),
    Problem(
        "no-reply",
        "No reply from customer service",
        "Customer Care",
        "shop",
        0.08,
        (
            "I've emailed {days} times and nobody replies{angry}",
            "waited {days} days for a reply to my complaint. {ask}",
            "been on hold for an hour, nobody answers the phone{angry}",
            "still no answer to my ticket from {time}. {ask}",
            "does anyone actually read these messages? no reply in {days} days{angry}",
        ),
    ),
    Problem(
        "chat-bot-loop",
        "Chat bot loops and never reaches an agent",
        "Customer Care",
        "shop",
        0.05,
        (
            "your chat bot just loops, can't get to a real person{angry}",
            "chat keeps disconnecting before I reach an agent. {ask}",
            "asked for a human {days} times in the chat, bot keeps sending the same FAQ{angry}",
            "the live chat says agent joining then nothing happens. {ask}",
        ),
    ),
)
PROBLEMS_BY_KEY = {problem.key: problem for problem in PROBLEMS}

OPENINGS = ("", "", "", "hi, ", "Hi ", "hello, ", "hey ", "Hey, ", "Morning, ", "ugh ")
EMOJI = ("😡", "😤", "🙄", "😠", "😢", "🤬", "👎", "😩", "📦", "💸")
HASHTAGS = ("#fail", "#customerservice", "#help", "#annoyed", "#LarkspurFail", "")
FIRST_NAMES = (
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Finn",
    "Grace",
    "Hassan",
    "Isla",
    "Jack",
    "Kemi",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Priya",
    "Ravi",
    "Sofia",
    "Tom",
    "Zoe",
)
NEARBY_KEYS = {"a": "s", "e": "r", "i": "o", "o": "p", "t": "y", "n": "m", "s": "a", "r": "e", "l": "k", "d": "f"}


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
