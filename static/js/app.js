// Stockroom: open and close the shared <dialog id="modal"> around htmx swaps.
// Loaded as a file (strict CSP: no inline scripts or handlers).
(function () {
  "use strict";

  function modal() {
    return document.getElementById("modal");
  }

  function closeModal() {
    var dialog = modal();
    if (dialog && dialog.open) {
      dialog.close();
    }
  }

  // htmx swapped a form into the dialog: show it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = modal();
    if (dialog && event.detail.target && event.detail.target.id === "modal-content" && !dialog.open) {
      dialog.showModal();
    }
  });

  // A server response with HX-Trigger: {"closeModal": true}.
  document.addEventListener("closeModal", closeModal);

  // Buttons marked data-close-modal.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-close-modal]")) {
      event.preventDefault();
      closeModal();
    }
  });

  // The navigation's "Menu" button (phones): show or hide the links.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (!toggle) {
      return;
    }
    var header = toggle.closest(".site-header");
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("nav-open", open);
  });

  // A row's action menu (<details class="row-menu">): one open at a time, closed by Escape
  // or a click elsewhere.
  document.addEventListener("click", function (event) {
    var inside = event.target.closest && event.target.closest("details.row-menu");
    var chosen = inside && event.target.closest(".row-menu-items a, .row-menu-items button");
    document.querySelectorAll("details.row-menu[open]").forEach(function (menu) {
      if (menu !== inside || chosen) {
        menu.removeAttribute("open");
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    document.querySelectorAll("details.row-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary && menu.contains(document.activeElement)) {
        summary.focus();
      }
    });
  });

  // A dialog made a stock level that had no row yet (HX-Trigger "stock-levels-added"):
  // reload the list's rows for the filters, sort and page in the address bar.
  document.addEventListener("stock-levels-added", function () {
    var results = document.getElementById("stock-results");
    if (results && window.htmx) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search,
        {target: results, swap: "innerHTML"});
    }
  });

  // Back and Forward: htmx restores a snapshot of the page, in which typed text and chosen
  // options are lost (they are not attributes). Set the filter controls from the address.
  function filterControlsFromUrl() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[role=search], form[hx-push-url]").forEach(function (form) {
      if ((form.getAttribute("method") || "get").toLowerCase() !== "get") {
        return;
      }
      Array.prototype.forEach.call(form.elements, function (control) {
        var name = control.name;
        if (!name || control.type === "hidden" || control.type === "submit" || control.type === "button") {
          return;
        }
        var values = params.getAll(name);
        if (control.type === "checkbox" || control.type === "radio") {
          control.checked = values.indexOf(control.value) !== -1;
        } else if (control.tagName === "SELECT") {
          // Not in the address: the "any" choice (value ""), else the one first rendered.
          var wanted = values.length ? values[0] : "";
          var match = Array.prototype.find.call(control.options, function (option) {
            return option.value === wanted;
          }) || Array.prototype.find.call(control.options, function (option) {
            return option.defaultSelected;
          }) || control.options[0];
          if (match) {
            control.value = match.value;
          }
        } else {
          control.value = values.length ? values[0] : "";
        }
      });
    });
  }
  document.addEventListener("htmx:historyRestore", filterControlsFromUrl);
  window.addEventListener("popstate", function () {
    // After htmx has put the snapshot back (it also listens to popstate).
    window.setTimeout(filterControlsFromUrl, 0);
  });

  // Empty the dialog once closed, so a stale form is never shown again.
  document.addEventListener("close", function (event) {
    if (event.target === modal()) {
      document.getElementById("modal-content").replaceChildren();
    }
  }, true);
})();
