// The API reference page's initialiser (a file, since the CSP allows no inline script): Swagger
// UI, served by Glassbox from swagger-ui-dist, renders the document named by #swagger-ui's
// data-spec. No validator badge (it would call an outside service).
addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  // deno-lint-ignore no-undef
  globalThis.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
