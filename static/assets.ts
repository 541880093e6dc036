/**
 * The asset catalogue: htmx, its SSE extension, the stylesheet, the page script, the favicon, and
 * the API reference page's Swagger UI (swagger-ui-dist) with its initialiser — embedded with text
 * imports (so `deno compile` includes them), each at a versioned URL (npm packages by version, our
 * files by a hash of their content, computed once at start-up) with its ETag. Pages link to these
 * URLs (views/common/layout.tsx); routes/assets.ts serves them.
 */
import htmxJs from "htmx.org/dist/htmx.min.js" with { type: "text" };
import sseJs from "htmx.org/dist/ext/hx-sse.js" with { type: "text" };
import htmxPkg from "htmx.org/package.json" with { type: "json" };
import appCss from "./app.css" with { type: "text" };
import appJs from "./app.js" with { type: "text" };
import faviconSvg from "./favicon.svg" with { type: "text" };
import apiDocsJs from "./api_docs.js" with { type: "text" };
import swaggerJs from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "text" };
import swaggerPkg from "swagger-ui-dist/package.json" with { type: "json" };

export const HTMX_VERSION: string = htmxPkg.version;
export const SWAGGER_UI_VERSION: string = swaggerPkg.version;

export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

const utf8 = new TextEncoder();

async function asset(text: string, type: string): Promise<Asset & { hash: string }> {
  const body = utf8.encode(text);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const hash = Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  return { body, type, etag: `"${hash}"`, hash };
}

const JS = "text/javascript; charset=utf-8";
const css = await asset(appCss, "text/css; charset=utf-8");
const script = await asset(appJs, JS);
/** Also served at /favicon.ico, which browsers and tools ask for whatever a page links. */
const icon = await asset(faviconSvg, "image/svg+xml");
export const favicon: Asset = icon;
const docsScript = await asset(apiDocsJs, JS);

/** The stylesheet's content hash: part of its URL, so a changed stylesheet is a new URL. */
export const assetVersion: string = css.hash;

export function assetUrls(version: string = assetVersion) {
  return {
    css: `/assets/app-${version}.css`,
    htmx: `/assets/htmx-${HTMX_VERSION}.min.js`,
    sse: `/assets/hx-sse-${HTMX_VERSION}.js`,
    js: `/assets/app-${script.hash}.js`,
    icon: `/assets/favicon-${icon.hash}.svg`,
    swaggerJs: `/assets/swagger-ui-bundle-${SWAGGER_UI_VERSION}.js`,
    swaggerCss: `/assets/swagger-ui-${SWAGGER_UI_VERSION}.css`,
    docsJs: `/assets/api-docs-${docsScript.hash}.js`,
  };
}

const urls = assetUrls();
/** Every asset by its URL path. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map<string, Asset>([
  [urls.css, css],
  [urls.htmx, await asset(htmxJs, JS)],
  [urls.sse, await asset(sseJs, JS)],
  [urls.js, script],
  [urls.icon, icon],
  // The API reference page (Swagger UI); source-map comments dropped: the maps are not served.
  [urls.swaggerJs, await asset(withoutSourceMap(swaggerJs), JS)],
  [urls.swaggerCss, await asset(withoutSourceMap(swaggerCss), "text/css; charset=utf-8")],
  [urls.docsJs, docsScript],
]);

function withoutSourceMap(text: string): string {
  return text.replace(/\n?\/[*/]# sourceMappingURL=\S+( \*\/)?\s*$/, "\n");
}
