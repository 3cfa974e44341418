"""The catalogue of simulated problems and the phrases they are dressed in, as plain data.

Each `Problem` says who owns it, how often it comes and how people word it (templates whose `{slots}` are
filled from `SLOTS`); the openings, emoji, hashtags, names and nearby keys below vary the wording further.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.simulation.design import (
    BRANDS,
    CONTROL_PROBLEM,
    FIX_DAY,
    FIX_FACTOR,
    FIXED_PROBLEM,
    OUTAGE_DAYS,
    OUTAGE_PROBLEM,
)


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
