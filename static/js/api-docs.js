// Swagger UI for the Stockroom API, configured from data attributes on #swagger-ui
// (the page has no inline script: strict Content-Security-Policy).
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    var csrfToken = root.dataset.csrfToken || "";

    window.SwaggerUIBundle({
      url: root.dataset.schemaUrl,
      domNode: root,
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      validatorUrl: null,
      // "Try it out" runs with the browser session; unsafe methods need the CSRF token.
      requestInterceptor: function (request) {
        if (csrfToken && request.method && request.method.toUpperCase() !== "GET") {
          request.headers["X-CSRFToken"] = csrfToken;
        }
        return request;
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
