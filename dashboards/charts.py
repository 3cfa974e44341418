"""Plotly figures for the dashboards, built on the server from the selectors' values.

Figures are plain plotly figure dicts with a small house template (plotly's default template is large and slow to
merge); `chart_html` renders one as an empty div and its figure as a JSON data block, which the static
`dashboards/charts.js` draws with the page's own static plotly.js, so the pages work offline and run no inline
script (the Content-Security-Policy allows none).
"""

from __future__ import annotations

import json
import uuid

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from plotly.utils import PlotlyJSONEncoder

from dashboards.selectors.contacts_change import ADDED, contacts_change

# Contacts added (a negative "avoided"): red, never the green of the department bars.
ADDED_COLOUR = "#b91c1c"
PALETTE = [
    "#2563eb",
    "#f97316",
    "#16a34a",
    "#dc2626",
    "#9333ea",
    "#0891b2",
    "#ca8a04",
    "#db2777",
    "#4b5563",
    "#65a30d",
    "#7c3aed",
    "#0d9488",
]
OTHER_COLOUR = "#cbd2d9"
UNASSIGNED_COLOUR = "#9aa5b1"
BAND_COLOUR = "rgba(249, 115, 22, 0.18)"
ACTUAL_COLOUR = "#2563eb"
COUNTERFACTUAL_COLOUR = "#f97316"

HOUSE_TEMPLATE = {
    "layout": {
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12, "color": "#1f2933"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "colorway": PALETTE,
        "hovermode": "x unified",
        "xaxis": {"gridcolor": "#e4e7eb", "linecolor": "#9aa5b1", "zeroline": False},
        "yaxis": {"gridcolor": "#e4e7eb", "linecolor": "#9aa5b1", "zeroline": False, "rangemode": "tozero"},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    }
}
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


# What must not appear raw inside a <script> element (Django's json_script escapes the same three).
_JSON_IN_HTML_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _trace_summary(trace: dict) -> str | None:
    horizontal = trace.get("orientation") == "h"
    positions, values = (trace.get("y"), trace.get("x")) if horizontal else (trace.get("x"), trace.get("y"))
    pairs = [
        (position, value)
        for position, value in zip(positions or [], values or [], strict=False)
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    if not pairs:
        return None
    name = trace.get("name") or "values"
    lowest = min(pairs, key=lambda pair: pair[1])
    highest = max(pairs, key=lambda pair: pair[1])
    if len(pairs) == 1:
        return f"{name}: {_number(pairs[0][1])} at {pairs[0][0]}"
    return (
        f"{name}: {len(pairs)} points from {pairs[0][0]} to {pairs[-1][0]}, lowest {_number(lowest[1])} "
        f"({lowest[0]}), highest {_number(highest[1])} ({highest[0]}), last {_number(pairs[-1][1])}"
    )


def chart_summary(figure: dict) -> str:
    """The chart in one sentence for screen readers: its title (if any), then per trace with numbers its count of
    points, first and last position, lowest, highest and last value; says so when there is nothing to draw."""
    title = (figure.get("layout", {}).get("title") or {}).get("text", "")
    parts = [part for part in map(_trace_summary, figure.get("data", [])) if part]
    if not parts:
        return f"{title or 'Chart'}: no data."
    return (f"{title}. " if title else "") + "; ".join(parts) + "."


def chart_html(figure: dict, *, static: bool = False) -> str:
    """The figure as an empty chart div plus a `<script type="application/json">` block holding its data, layout
    and config, which `dashboards/charts.js` draws with the page's plotly.js (never a CDN, never inline code),
    and its text alternative (chart_summary) beside it, which the div names with aria-describedby.

    The summary shows under a full chart; for a static one (a sparkline in a table) only screen readers read it.
    """
    config = {**CONFIG, "staticPlot": True} if static else CONFIG
    chart_id = f"chart-{uuid.uuid4().hex}"
    spec = {"data": figure.get("data", []), "layout": figure["layout"], "config": config}
    payload = json.dumps(spec, cls=PlotlyJSONEncoder, separators=(",", ":")).translate(_JSON_IN_HTML_ESCAPES)
    return format_html(
        '<div id="{}" class="plotly-graph-div" role="img" aria-describedby="{}-summary"'
        ' style="height:{}px; width:100%;"></div>'
        '<p id="{}-summary" class="chart-summary{}">{}</p>'
        '<script type="application/json" class="fixloop-chart" data-chart-for="{}">{}</script>',
        chart_id,
        chart_id,
        int(figure["layout"].get("height", 360)),
        chart_id,
        " visually-hidden" if static else "",
        chart_summary(figure),
        chart_id,
        # Already JSON with <, > and & escaped, so it can neither close the element nor be read as markup.
        mark_safe(payload),
    )


def _layout(*, title: str, x_title: str, y_title: str, height: int = 360, **extra) -> dict:
    return {
        "template": HOUSE_TEMPLATE,
        "height": height,
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}},
        **extra,
    }


def total_volume_figure(*, dates: list[str], counts: list[int]) -> dict:
    """All inbound contact per day."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Contacts",
                "x": dates,
                "y": counts,
                "line": {"color": ACTUAL_COLOUR, "width": 2},
                "fill": "tozeroy",
                "fillcolor": "rgba(37, 99, 235, 0.08)",
                "hovertemplate": "%{x|%a %d %b %Y}: %{y:,} contacts<extra></extra>",
            }
        ],
        "layout": _layout(title="Contact volume per day", x_title="Day", y_title="Contacts", showlegend=False),
    }


def sparkline_figure(*, dates: list[str], counts: list[int], label: str, colour: str = ACTUAL_COLOUR) -> dict:
    """A tiny line of a theme's daily contacts, for tables (hover shows the day and count)."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": label,
                "x": dates,
                "y": counts,
                "line": {"color": colour, "width": 1.5},
                "hovertemplate": "%{x|%d %b}: %{y:,}<extra></extra>",
            }
        ],
        "layout": {
            "template": HOUSE_TEMPLATE,
            "height": 44,
            "width": 180,
            "showlegend": False,
            "hovermode": "closest",
            "margin": {"l": 0, "r": 0, "t": 2, "b": 2},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False, "rangemode": "tozero"},
        },
    }


def theme_share_figure(*, bucket_starts: list[str], bucket_days: int, series: list[dict]) -> dict:
    """Each top theme's share of all contact per week, stacked to 100% (others and unassigned included)."""
    traces = []
    for index, item in enumerate(series):
        if item["label"] == "Other themes":
            colour = OTHER_COLOUR
        elif item["label"] == "Unassigned":
            colour = UNASSIGNED_COLOUR
        else:
            colour = PALETTE[index % len(PALETTE)]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": item["label"],
                "x": bucket_starts,
                "y": item["counts"],
                "stackgroup": "share",
                "groupnorm": "percent",
                "line": {"width": 0.5, "color": colour},
                "fillcolor": colour,
                "customdata": item["counts"],
                "hovertemplate": f"{_escape(item['label'])}: %{{y:.1f}}% (%{{customdata:,}} contacts)<extra></extra>",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            title=f"Share of contact by theme ({bucket_days}-day buckets)",
            x_title="Week starting",
            y_title="Share of contacts (%)",
            height=420,
            yaxis={"title": {"text": "Share of contacts (%)"}, "range": [0, 100], "ticksuffix": "%"},
            legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 11}},
            margin={"l": 60, "r": 230, "t": 60, "b": 50},
        ),
    }


def theme_line_figure(*, dates: list[str], counts: list[int], label: str, fixes: list[dict], height: int = 300) -> dict:
    """A theme's daily contacts with a dashed line and a marker at each of its fixes' ship dates."""
    by_day = dict(zip(dates, counts, strict=True))
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": fix["shipped_on"],
            "x1": fix["shipped_on"],
            "y0": 0,
            "y1": 1,
            "line": {"color": "#16a34a", "dash": "dash", "width": 1.5},
        }
        for fix in fixes
        if fix["shipped_on"] in by_day
    ]
    marked = [fix for fix in fixes if fix["shipped_on"] in by_day]
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Contacts",
            "x": dates,
            "y": counts,
            "line": {"color": ACTUAL_COLOUR, "width": 1.5},
            "hovertemplate": "%{x|%d %b %Y}: %{y:,} contacts<extra></extra>",
        }
    ]
    if marked:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Fix shipped",
                "x": [fix["shipped_on"] for fix in marked],
                "y": [by_day[fix["shipped_on"]] for fix in marked],
                "marker": {"symbol": "diamond", "size": 11, "color": "#16a34a", "line": {"color": "#fff", "width": 1}},
                "text": [
                    f"Fix #{fix['fix_id']} ({_escape(fix['department'])}) shipped: {_escape(fix['description'])}"
                    for fix in marked
                ],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            title=f"{_escape(label)}: contacts per day, fixes shipped ◆",
            x_title="Day",
            y_title="Contacts",
            height=height,
            shapes=shapes,
            hovermode="closest",
        ),
    }


def fix_impact_figure(
    *, impact: dict, title: str, height: int = 300, compact: bool = False, marks: list[dict] | None = None
) -> dict:
    """Actual contacts of the fix's themes before and after shipping, with the counterfactual and its 95% band.

    `marks` ({shipped_on, label, hover}), when given, mark every fix's ship date with a labelled line instead of the one
    `impact["shipped_on"]` line (the issue page: several fixes on one theme)."""
    dates = impact["dates"]
    pre_dates, pre_actual = impact.get("pre_dates") or [], impact.get("pre_actual") or []
    if compact:
        # A small chart shows only the four weeks before shipping.
        first = max(0, len(pre_dates) - 28)
        pre_dates, pre_actual = pre_dates[first:], pre_actual[first:]
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "95% band",
            "x": dates,
            "y": impact["high"],
            "line": {"width": 0, "color": BAND_COLOUR},
            "showlegend": False,
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "95% band",
            "x": dates,
            "y": impact["low"],
            "fill": "tonexty",
            "fillcolor": BAND_COLOUR,
            "line": {"width": 0, "color": BAND_COLOUR},
            "customdata": impact["high"],
            "hovertemplate": "95% band: %{y:.0f}–%{customdata:.0f}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Expected without the fix",
            "x": dates,
            "y": impact["counterfactual"],
            "line": {"color": COUNTERFACTUAL_COLOUR, "dash": "dash", "width": 1.5},
            "hovertemplate": "expected: %{y:.0f}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Actual",
            "x": pre_dates + dates,
            "y": pre_actual + impact["actual"],
            "line": {"color": ACTUAL_COLOUR, "width": 1.5},
            "hovertemplate": "actual: %{y:,}<extra></extra>",
        },
    ]
    shapes = (
        [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": impact["shipped_on"],
                "x1": impact["shipped_on"],
                "y0": 0,
                "y1": 1,
                "line": {"color": "#16a34a", "dash": "dot", "width": 1.5},
            }
        ]
        if dates and marks is None
        else []
    )
    annotations: list[dict] = []
    for index, mark in enumerate(marks or []):
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": mark["shipped_on"],
                "x1": mark["shipped_on"],
                "y0": 0,
                "y1": 1,
                "line": {"color": "#16a34a", "dash": "dot", "width": 1.5},
            }
        )
        # Inside the plot, right of the line, stepping down so fixes shipped days apart do not overprint.
        annotations.append(
            {
                "x": mark["shipped_on"],
                "xref": "x",
                "xanchor": "left",
                "y": 0.99 - 0.09 * (index % 3),
                "yref": "paper",
                "yanchor": "top",
                "text": _escape(mark["label"]),
                "hovertext": _escape(mark["hover"]),
                "showarrow": False,
                "bgcolor": "rgba(255, 255, 255, 0.85)",
                "font": {"size": 10},
            }
        )
    layout = _layout(title=title, x_title="Day", y_title="Contacts per day", height=height, shapes=shapes)
    if annotations:
        layout["annotations"] = annotations
    if compact:
        layout["width"] = 380
        layout["margin"] = {"l": 45, "r": 10, "t": 36, "b": 36}
        layout["title"]["font"] = {"size": 12}
        # Too narrow for a legend beside the plot: the row's text names the lines and hover labels each one.
        layout["showlegend"] = False
    return {"data": data, "layout": layout}


def contacts_avoided_figure(*, overall: dict, by_department: list[dict]) -> dict:
    """Contacts avoided to date, overall and per department, with 95% intervals as error bars; a bar below zero is
    contacts added, coloured and labelled so (never the avoided colour)."""
    rows = [{"department": "All departments", **overall}, *by_department]
    names = [_escape(row["department"]) for row in rows]
    estimates = [row["estimate"] for row in rows]
    changes = [contacts_change(estimate=row["estimate"], low=row["low"], high=row["high"]) for row in rows]
    colours = [
        ADDED_COLOUR if change.kind == ADDED else PALETTE[0] if index == 0 else PALETTE[2]
        for index, change in enumerate(changes)
    ]
    return {
        "data": [
            {
                "type": "bar",
                "name": "Contacts avoided",
                "x": names,
                "y": estimates,
                "marker": {"color": colours},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [row["high"] - row["estimate"] for row in rows],
                    "arrayminus": [row["estimate"] - row["low"] for row in rows],
                    "color": "#1f2933",
                },
                "customdata": [[change.text] for change in changes],
                "hovertemplate": "%{x}: %{customdata[0]}<extra></extra>",
            }
        ],
        "layout": _layout(
            title="Contacts avoided to date (95% intervals; below zero: added)",
            x_title="Department",
            y_title="Contacts avoided (below zero: added)",
            height=340,
            showlegend=False,
            hovermode="closest",
        ),
    }


def _escape(text: str) -> str:
    """Plotly renders a subset of HTML in titles and hover text: show user text literally."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
