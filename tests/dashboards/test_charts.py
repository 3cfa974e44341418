"""The charts' text alternatives: one sentence per chart, named by the chart's div for screen readers."""

from __future__ import annotations

import re

from dashboards.charts import chart_html, chart_summary, sparkline_figure, total_volume_figure

DATES = ["2026-02-27", "2026-02-28", "2026-03-01"]


def test_a_summary_gives_the_title_points_range_lowest_highest_and_last():
    figure = total_volume_figure(dates=DATES, counts=[1200, 900, 1500])
    title = figure["layout"]["title"]["text"]
    assert chart_summary(figure) == (
        f"{title}. Contacts: 3 points from 2026-02-27 to 2026-03-01, lowest 900 (2026-02-28), "
        "highest 1,500 (2026-03-01), last 1,500."
    )


def test_a_horizontal_bar_reads_its_values_from_x_and_a_single_point_is_stated_plainly():
    figure = {
        "data": [{"type": "bar", "orientation": "h", "name": "Share", "x": [0.25], "y": ["Parcels"]}],
        "layout": {"title": {"text": "Theme share"}},
    }
    assert chart_summary(figure) == "Theme share. Share: 0.25 at Parcels."


def test_a_chart_without_numbers_says_it_has_no_data():
    assert chart_summary({"data": [{"type": "scatter", "x": [], "y": []}], "layout": {}}) == "Chart: no data."


def test_the_chart_div_is_described_by_its_summary_shown_under_a_full_chart():
    html = chart_html(total_volume_figure(dates=DATES, counts=[1, 2, 3]))
    chart_id = re.search(r'<div id="(chart-[0-9a-f]{32})"', html).group(1)
    assert f'role="img" aria-describedby="{chart_id}-summary"' in html
    assert f'<p id="{chart_id}-summary" class="chart-summary">' in html


def test_a_sparklines_summary_is_for_screen_readers_only_and_escaped():
    html = chart_html(sparkline_figure(dates=DATES, counts=[4, 0, 7], label="Refunds <late>"), static=True)
    assert 'class="chart-summary visually-hidden">Refunds &lt;late&gt;: 3 points from 2026-02-27 to ' in html
    assert "lowest 0 (2026-02-28), highest 7 (2026-03-01), last 7.</p>" in html
