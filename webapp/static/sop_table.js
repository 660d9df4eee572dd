// "SOP baru dari tabel": add and remove rows in the page, keep the numbers and the Ya/Tidak choices in step.
(function () {
  const rows = document.getElementById("sop-rows");
  if (!rows) return;
  const all = () => Array.from(rows.querySelectorAll("[data-row]"));

  function renumber() {
    const count = all().length;
    all().forEach((row, index) => {
      row.querySelector("[data-no]").textContent = String(index + 1);
      row.querySelector("input[name=no]").value = String(index + 1);
    });
    rows.querySelectorAll("select[data-target]").forEach((select) => {
      const value = select.value;
      const first = select.name === "ya" ? rows.dataset.nextRow : rows.dataset.none;
      select.replaceChildren(new Option(first, ""));
      for (let n = 1; n <= count; n += 1) select.append(new Option(String(n), String(n)));
      select.append(new Option(rows.dataset.end, "selesai"));
      select.value = Array.from(select.options).some((o) => o.value === value) ? value : "";
    });
  }

  document.getElementById("add-row").addEventListener("click", (event) => {
    event.preventDefault();
    const last = all()[all().length - 1];
    const row = last.cloneNode(true);
    row.classList.remove("sop-row-invalid");
    row.querySelectorAll(".sop-row-problems").forEach((list) => list.remove());
    row.querySelectorAll("input:not([type=hidden]), textarea").forEach((field) => { field.value = ""; });
    row.querySelectorAll("select").forEach((select) => { select.value = ""; });
    last.after(row);
    renumber();
    row.querySelector("textarea").focus();
  });

  rows.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove]");
    if (!button || all().length === 1) return;
    button.closest("[data-row]").remove();
    renumber();
  });
  document.documentElement.classList.add("js");
})();
