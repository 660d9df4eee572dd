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

  // Header: on a narrow screen the links fold behind one "Menu" button.
  var topbar = document.getElementById("topbar"), menuToggle = document.getElementById("menu-toggle");
  if (topbar && menuToggle) {
    topbar.classList.add("js-menu");
    menuToggle.addEventListener("click", function () {
      var open = topbar.classList.toggle("menu-open");
      menuToggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // A form with data-confirm="<dialog id>" asks in that dialog before it is sent; the dialog's
  // [data-confirm-yes] sends it, anything else (its "No" button, Escape) leaves the page as it was.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    var dialog = document.getElementById(form.dataset.confirm);
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    var confirmed = false;
    form.addEventListener("submit", function (event) {
      var blank = Array.prototype.some.call(form.querySelectorAll("[required]"), function (input) {
        return !input.value.trim();
      });
      if (confirmed || blank) {  // a blank required field: the server answers it beside the field
        return;
      }
      event.preventDefault();
      dialog.querySelectorAll("[data-echo]").forEach(function (echo) {
        var source = form.elements.namedItem(echo.dataset.echo);
        echo.textContent = source ? source.value : "";
      });
      dialog.showModal();
    });
    dialog.querySelector("[data-confirm-yes]").addEventListener("click", function () {
      confirmed = true;
      dialog.close();
      form.submit();
    });
    dialog.querySelectorAll("[data-confirm-no]").forEach(function (button) {
      button.addEventListener("click", function () { dialog.close(); });
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
