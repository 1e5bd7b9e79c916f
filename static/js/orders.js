// Stockroom: the line rows of the order form and of a pending order's edit form. Loaded as a
// file (strict CSP: no inline scripts or handlers).
// htmx fetches suggestions, availability and new rows; this file only fills a chosen SKU in,
// removes rows and moves the focus.
(function () {
  "use strict";

  function lineOf(element) {
    return element.closest ? element.closest(".order-line") : null;
  }

  function clearSuggestions(line) {
    var box = line && line.querySelector(".sku-suggestions");
    if (box) {
      box.replaceChildren();
    }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) {
      return;
    }
    // A suggestion was chosen: put its SKU in the row's input; "change" refreshes availability.
    var option = event.target.closest("[data-sku]");
    if (option && lineOf(option)) {
      event.preventDefault();
      var line = lineOf(option);
      var input = line.querySelector("input[name=sku]");
      input.value = option.getAttribute("data-sku");
      clearSuggestions(line);
      input.dispatchEvent(new Event("change", { bubbles: true }));
      var quantity = line.querySelector("input[name=quantity]");
      if (quantity) {
        quantity.focus();
      }
      return;
    }
    // Remove a row; the last one is emptied instead, so the form always keeps a row.
    var remove = event.target.closest("[data-remove-line]");
    if (remove && lineOf(remove)) {
      event.preventDefault();
      var row = lineOf(remove);
      if (row.parentElement.querySelectorAll(".order-line").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        row.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
        clearSuggestions(row);
        var cell = row.querySelector(".line-availability");
        if (cell) {
          cell.replaceChildren();
        }
      }
    }
  });

  // Escape closes a row's suggestions.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.closest && lineOf(event.target)) {
      clearSuggestions(lineOf(event.target));
    }
  });

  // A row was added: put the cursor in its SKU input.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && (target.id === "order-lines" || target.id === "edit-lines")) {
      var inputs = target.querySelectorAll("input[name=sku]");
      if (inputs.length) {
        inputs[inputs.length - 1].focus();
      }
    }
  });
})();
