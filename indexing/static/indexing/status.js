// Index status page: while a reindex runs, poll its progress every second; reload when it ends
// (the counts and the index list change). Without JavaScript a <meta refresh> does the same.
(function () {
  "use strict";
  const panel = document.getElementById("reindex-progress");
  if (!panel || panel.dataset.running !== "true") return;
  const field = (name) => panel.querySelector(`[data-field="${name}"]`);
  const bar = panel.querySelector("progress");
  const number = (n) => Number(n).toLocaleString();

  function show(run) {
    field("status").textContent = run.status;
    field("done").textContent = number(run.done);
    field("total").textContent = run.total === null ? "?" : number(run.total);
    field("duration").textContent = `${run.elapsed_seconds.toFixed(1)} s`;
    field("rate").textContent = run.rate ? `${number(run.rate)} products/s` : "–";
    field("index_name").textContent = run.index_name || "–";
    if (bar && run.total !== null) {
      bar.max = Math.max(run.total, 1);
      bar.value = run.done;
      bar.textContent = `${run.percent} %`;
    }
  }

  async function poll() {
    try {
      const response = await fetch(panel.dataset.url, {headers: {Accept: "application/json"}});
      if (response.ok) {
        const {run} = await response.json();
        if (run) {
          show(run);
          if (!run.running) {
            window.location.reload();
            return;
          }
        }
      }
    } catch (error) {
      // A dropped request is retried on the next tick.
    }
    window.setTimeout(poll, 1000);
  }

  window.setTimeout(poll, 1000);
})();
