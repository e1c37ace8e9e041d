// The API reference page (/docs): Swagger UI, served by us, over /openapi.json. It follows the
// system's light or dark mode with Swagger UI's own dark theme (the `dark-mode` class).
(function () {
  "use strict";
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function follow() {
    document.documentElement.classList.toggle("dark-mode", dark.matches);
  }
  follow();
  dark.addEventListener("change", follow);
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#reference",
    deepLinking: false, // a link inside each summary button would nest interactive controls
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    defaultModelsExpandDepth: -1,
    docExpansion: "list",
    validatorUrl: null, // never ask another host to check the document
    syntaxHighlight: { activated: true, theme: "agate" },
  });
})();
