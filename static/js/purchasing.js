// Stockroom: purchase order pages. Loaded as a file (strict CSP: no inline scripts or handlers).
// htmx fetches SKU suggestions and new line rows; this file fills a chosen SKU and the
// supplier's cost in, removes rows, moves the focus and opens the print dialog.
(function () {
  "use strict";

  function lineOf(element) {
    return element && element.closest ? element.closest(".po-line") : null;
  }

  function clearSuggestions(line) {
    var boxes = line ? line.querySelectorAll(".sku-suggestions") : document.querySelectorAll(".po-line .sku-suggestions");
    boxes.forEach(function (box) { box.replaceChildren(); });
  }

  function choose(option) {
    var line = lineOf(option);
    line.querySelector("input[name=sku]").value = option.getAttribute("data-sku");
    var info = line.querySelector(".line-info");
    if (info) {
      info.textContent = option.getAttribute("data-info") || "";
    }
    var cost = line.querySelector("input[name=unit_cost]");
    if (cost && option.hasAttribute("data-cost")) {
      cost.value = option.getAttribute("data-cost");
      cost.setAttribute("data-auto-cost", "");
    }
    clearSuggestions(line);
    var quantity = line.querySelector("input[name=quantity]");
    if (quantity) {
      quantity.focus();
    }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) {
      return;
    }
    if (event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    var option = event.target.closest("[data-sku]");
    if (option && lineOf(option)) {
      event.preventDefault();
      choose(option);
      return;
    }
    // Remove a row; the last one is emptied instead, so the form always keeps a row.
    var remove = event.target.closest("[data-remove-line]");
    if (remove && lineOf(remove)) {
      event.preventDefault();
      var row = lineOf(remove);
      if (document.querySelectorAll(".po-line").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        var info = row.querySelector(".line-info");
        if (info) {
          info.textContent = "";
        }
        clearSuggestions(row);
      }
      return;
    }
    // A click anywhere else closes open suggestions.
    if (!event.target.closest(".sku-suggestions")) {
      clearSuggestions(null);
    }
  });

  document.addEventListener("keydown", function (event) {
    var line = lineOf(event.target);
    if (!line) {
      return;
    }
    if (event.key === "Escape") {
      clearSuggestions(line);
    } else if (event.key === "Enter" && event.target.tagName === "INPUT") {
      // Enter in a line picks the first suggestion rather than saving a half-typed order.
      event.preventDefault();
      var first = line.querySelector(".sku-suggestions [data-sku]");
      if (first && event.target.name === "sku") {
        choose(first);
      }
    }
  });

  // A typed SKU no longer matches the chosen suggestion's cost: forget that it was filled in.
  document.addEventListener("input", function (event) {
    var line = lineOf(event.target);
    if (line && event.target.name === "sku") {
      var info = line.querySelector(".line-info");
      if (info) {
        info.textContent = "";
      }
    } else if (line && event.target.name === "unit_cost") {
      event.target.removeAttribute("data-auto-cost");
    }
  });

  // Another supplier: costs filled in from the previous one's list are cleared, so the new
  // supplier's cost applies (a blank cost takes it when the order is saved).
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_supplier" && event.target.closest("#po-form")) {
      document.querySelectorAll("#po-form input[data-auto-cost]").forEach(function (input) {
        input.value = "";
        input.removeAttribute("data-auto-cost");
      });
      clearSuggestions(null);
    }
  });

  // A row was added: put the cursor in its SKU input.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "po-lines") {
      var inputs = event.detail.target.querySelectorAll("input[name=sku]");
      if (inputs.length) {
        inputs[inputs.length - 1].focus();
      }
    }
  });
})();
