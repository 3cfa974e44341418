"""Contacts avoided in words: a negative "avoided" is contacts added, said so and never styled as a gain."""

from __future__ import annotations

from dataclasses import dataclass

AVOIDED = "avoided"
ADDED = "added"


@dataclass(frozen=True)
class ContactsChange:
    """An estimate of contacts avoided with its interval, turned the way it went: `kind` is avoided or added,
    `count` its size, and `text` the words ("100 contacts added (50 to 250)")."""

    kind: str
    count: float
    text: str


def contacts_change(*, estimate: float, low: float, high: float) -> ContactsChange:
    """The words for `estimate` contacts avoided (interval `low` to `high`); below zero, contacts added."""
    # Below half a contact rounds to 0 avoided: nothing was added.
    added = estimate <= -0.5
    kind, other = (ADDED, AVOIDED) if added else (AVOIDED, ADDED)
    # Counted the way it went: added contacts are negative avoided ones, with the interval's ends swapped.
    count, near, far = (-estimate, -high, -low) if added else (estimate, low, high)
    if near > -0.5:
        interval = f"{near:,.0f} to {far:,.0f}"
    else:
        # The interval reaches the other way: name both ends' directions.
        interval = f"between {-near:,.0f} {other} and {far:,.0f} {kind}"
    return ContactsChange(kind=kind, count=count, text=f"{abs(count):,.0f} contacts {kind} ({interval})")
