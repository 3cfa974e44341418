"""`{{ value|contacts_change }}`: contacts avoided in words, in a span classed by the way it went."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dashboards.selectors.contacts_change import contacts_change as contacts_change_words
from improvement.impact.estimator.looks import level_percent as level_percent_words

register = template.Library()


@register.filter
def contacts_change(value: object) -> SafeString | str:
    """A total ({estimate, low, high}) or an impact (contacts_avoided, _low, _high; dict or FixImpact) in words."""
    if isinstance(value, dict):
        keys = ("estimate", "low", "high") if "estimate" in value else _IMPACT_FIELDS
        numbers = [value.get(key) for key in keys]
    else:
        numbers = [getattr(value, key, None) for key in _IMPACT_FIELDS]
    if any(number is None for number in numbers):
        return ""
    estimate, low, high = (float(number) for number in numbers)  # type: ignore[arg-type]
    change = contacts_change_words(estimate=estimate, low=low, high=high)
    return format_html('<span class="contacts-{}">{}</span>', change.kind, change.text)


_IMPACT_FIELDS = ("contacts_avoided", "contacts_avoided_low", "contacts_avoided_high")


@register.filter
def level_percent(value: object) -> str:
    """An interval's coverage level as a percentage: 0.935 as "93.5%", 0.95 as "95%", 0.9996 as "99.96%" ("" when
    there is none)."""
    if value is None:
        return ""
    return level_percent_words(float(value))  # type: ignore[arg-type]
