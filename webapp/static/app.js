// The pages' own behaviour. No page carries inline script (the Content-Security-Policy forbids it): each part
// below runs only where its element is, and data comes from <script type="application/json"> blocks.
(function () {
  "use strict";

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // Table fields on a step form: "Add a row" copies the last row with empty values.
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var body = document.querySelector('[data-items="' + button.dataset.addRow + '"] tbody');
      var last = body.lastElementChild, index = body.children.length;
      var row = last.cloneNode(true);
      row.querySelectorAll("input, select").forEach(function (input) {
        input.name = input.name.replace(/-\d+-/, "-" + index + "-");
        input.value = "";
      });
      body.appendChild(row);
    });
  });

  // Error page: "Back" returns to the previous page.
  document.querySelectorAll("[data-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });

  // Item page: the diagram with its marks.
  var diagram = document.getElementById("diagram");
  var diagramXml = readJson("diagram-xml");
  if (diagram && diagramXml !== null && window.SopflowViewer) {
    window.SopflowViewer.show(diagram, diagramXml, readJson("diagram-marks") || {}).then(function () {
      diagram.dataset.ready = "1";
    });
  }

  // Modeler page.
  var modelerData = readJson("modeler-data");
  if (modelerData && window.SopflowModeler) {
    window.SopflowModeler.init(modelerData);
  }
})();
