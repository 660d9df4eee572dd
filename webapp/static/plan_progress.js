// The plan's page follows its items starting in the background: the count every two seconds, then the page
// again once all have started (to list them).
(function () {
  "use strict";
  var card = document.getElementById("plan-progress");
  if (!card || card.dataset.done === "true") { return; }
  var text = card.querySelector("[data-progress-text]");
  var bar = card.querySelector("progress");
  function poll() {
    fetch(card.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (shown) {
        if (shown) {
          text.textContent = shown.text;
          bar.value = shown.started;
          if (shown.done) { window.location.reload(); return; }
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
