"""Template tags of the issue workflow pages."""
from __future__ import annotations

from django import template

from improvement.selectors.issues import theme_list_for_raising

register = template.Library()


@register.inclusion_tag("dashboards/workflow/_raise_issue_links.html")
def raise_issue_theme_links(limit: int = 50) -> dict:
    """A list of active themes, largest first, each with its "Raise issue" link."""
    return {"themes": theme_list_for_raising(limit=limit)}
