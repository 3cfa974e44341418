// The import page: polls the import's status while it runs, moves the bar, reloads for the summary when done.
(function () {
  "use strict";
  var POLL_MILLISECONDS = 1000;

  function show(panel, progress) {
    var bar = document.getElementById("case-import-bar");
    var rows = document.getElementById("case-import-rows");
    var status = document.getElementById("case-import-status");
    var total = progress.rows_total;
    bar.max = total || 1;
    bar.value = total ? progress.rows_done : 0;
    rows.textContent = progress.rows_done.toLocaleString("en") + " / " +
      (total === null ? "?" : total.toLocaleString("en")) + " rows";
    status.textContent = progress.status_label;
  }

  function poll(panel) {
    fetch(panel.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (progress) {
        show(panel, progress);
        if (progress.finished) {
          window.location.reload();
        } else {
          window.setTimeout(function () { poll(panel); }, POLL_MILLISECONDS);
        }
      })
      .catch(function () {
        window.setTimeout(function () { poll(panel); }, POLL_MILLISECONDS * 5);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("case-import-progress");
    if (panel && panel.dataset.finished !== "true") { poll(panel); }
  });
})();
