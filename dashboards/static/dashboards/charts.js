// Draws every chart of the page: each <script type="application/json" class="fixloop-chart"> holds the data,
// layout and config of the div named by its data-chart-for (dashboards/charts.py writes both).
(function () {
  "use strict";

  function drawCharts() {
    document.querySelectorAll("script.fixloop-chart").forEach(function (block) {
      var target = document.getElementById(block.dataset.chartFor);
      if (!target || target.classList.contains("js-plotly-plot")) {
        return;
      }
      var chart = JSON.parse(block.textContent);
      window.Plotly.newPlot(target, chart.data, chart.layout, chart.config);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawCharts);
  } else {
    drawCharts();
  }
})();
