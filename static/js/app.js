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

  // Empty the dialog once closed, so a stale form is never shown again.
  document.addEventListener("close", function (event) {
    if (event.target === modal()) {
      document.getElementById("modal-content").replaceChildren();
    }
  }, true);
})();
