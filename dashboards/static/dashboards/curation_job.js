// A curation job's page: polls the job's status while it runs, moves the bar, reloads for the result when done.
(function () {
  "use strict";
  var POLL_MILLISECONDS = 1000;

  function show(progress) {
    var bar = document.getElementById("curation-job-bar");
    bar.max = progress.steps_total || 1;
    bar.value = progress.steps_done;
    document.getElementById("curation-job-steps").textContent =
      progress.steps_done + " / " + progress.steps_total + " steps";
    document.getElementById("curation-job-status").textContent = progress.status_label;
  }

  function poll(panel) {
    fetch(panel.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (progress) {
        show(progress);
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
    var panel = document.getElementById("curation-job-progress");
    if (panel && panel.dataset.finished !== "true") { poll(panel); }
  });
})();
