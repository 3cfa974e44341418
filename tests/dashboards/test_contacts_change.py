"""Contacts avoided in words: a negative "avoided" reads as contacts added, classed so it is never green."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from dashboards.selectors.contacts_change import contacts_change


@pytest.mark.parametrize(
    ("numbers", "kind", "text"),
    [
        ((620.0, 450.0, 760.0), "avoided", "620 contacts avoided (450 to 760)"),
        ((-100.0, -250.0, -20.0), "added", "100 contacts added (20 to 250)"),
        ((-100.0, -250.0, 50.0), "added", "100 contacts added (between 50 avoided and 250 added)"),
        ((200.0, -47.0, 451.0), "avoided", "200 contacts avoided (between 47 added and 451 avoided)"),
        ((-0.2, -5.0, 3.0), "avoided", "0 contacts avoided (between 5 added and 3 avoided)"),
        ((1234.5, 1000.0, 1500.0), "avoided", "1,234 contacts avoided (1,000 to 1,500)"),
    ],
)
def test_contacts_change_words(numbers, kind, text):
    estimate, low, high = numbers

    change = contacts_change(estimate=estimate, low=low, high=high)

    assert (change.kind, change.text) == (kind, text)


def test_the_filter_classes_added_contacts_and_reads_totals_and_impacts():
    rendered = Template("{% load contacts_change %}{{ total|contacts_change }} | {{ impact|contacts_change }}").render(
        Context(
            {
                "total": {"estimate": -100.0, "low": -250.0, "high": -20.0},
                "impact": {"contacts_avoided": 620.0, "contacts_avoided_low": 450.0, "contacts_avoided_high": 760.0},
            }
        )
    )

    assert rendered == (
        '<span class="contacts-added">100 contacts added (20 to 250)</span> | '
        '<span class="contacts-avoided">620 contacts avoided (450 to 760)</span>'
    )
