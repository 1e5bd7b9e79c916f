// Alerts page: "select all" for the reorder checkboxes, and Escape cancels an inline edit.
// Loaded as a file (strict CSP: no inline scripts or handlers).
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-select-all]");
    if (!toggle) {
      return;
    }
    var name = toggle.getAttribute("data-select-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = toggle.checked;
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) {
      return;
    }
    var row = event.target.closest("tr.inline-edit");
    var cancel = row && row.querySelector("[data-inline-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });
})();
