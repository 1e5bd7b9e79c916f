// Stockroom: the import upload's drop zone and the bulk stock update rows.
// Loaded as a file (strict CSP: no inline scripts or handlers). htmx fetches suggestions
// and new rows; this file fills a chosen SKU in, removes rows and hands dropped files
// to the file input.
(function () {
  "use strict";

  // --- bulk update rows ---------------------------------------------------

  function rowOf(element) {
    return element.closest ? element.closest(".bulk-row") : null;
  }

  function clearSuggestions(row) {
    var box = row && row.querySelector(".sku-suggestions");
    if (box) {
      box.replaceChildren();
    }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) {
      return;
    }
    var option = event.target.closest("[data-sku]");
    if (option && rowOf(option)) {
      event.preventDefault();
      var row = rowOf(option);
      var input = row.querySelector("input[name=sku]");
      input.value = option.getAttribute("data-sku");
      clearSuggestions(row);
      var change = row.querySelector("input[name=quantity]");
      if (change) {
        change.focus();
      }
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove && rowOf(remove)) {
      event.preventDefault();
      var line = rowOf(remove);
      if (document.querySelectorAll(".bulk-row").length > 1) {
        line.remove();
      } else {
        line.querySelectorAll("input").forEach(function (field) { field.value = ""; });
        clearSuggestions(line);
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.closest && rowOf(event.target)) {
      clearSuggestions(rowOf(event.target));
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "bulk-rows") {
      var inputs = event.detail.target.querySelectorAll("input[name=sku]");
      if (inputs.length) {
        inputs[inputs.length - 1].focus();
      }
    }
  });

  // --- import drop zone ---------------------------------------------------

  function setUp(zone) {
    var input = document.getElementById(zone.getAttribute("data-drop-for"));
    var label = zone.querySelector("[data-drop-name]");
    if (!input) {
      return;
    }
    function showName() {
      if (label) {
        label.textContent = input.files && input.files.length ? input.files[0].name : "";
      }
    }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("drop-active");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () {
        zone.classList.remove("drop-active");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("drop-active");
      if (event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    input.addEventListener("change", showName);
    showName(); // a file picked before this script ran (a slow page) is named too
  }

  function init() {
    document.querySelectorAll("[data-drop-for]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
