/**
 * The API reference page: Swagger UI (its own stylesheet, not the app's) rendering
 * /openapi.json, started by a static initialiser (static/api_docs.js).
 */
import { assetUrls } from "../../static/assets.ts";

export function ApiReferencePage(props: { version: string; specUrl: string }) {
  const urls = assetUrls();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Glassbox API {props.version}</title>
        <link rel="icon" href={urls.icon} type="image/svg+xml" />
        <link rel="stylesheet" href={urls.swaggerCss} />
        <script src={urls.swaggerJs} defer></script>
        <script src={urls.docsJs} defer></script>
      </head>
      <body>
        <p class="docs-back">
          <a href="/">← Glassbox</a> · <a href={props.specUrl}>openapi.json</a>
        </p>
        <div id="swagger-ui" data-spec={props.specUrl}></div>
      </body>
    </html>
  );
}
