/**
 * The HTML document shell: versioned assets (htmx, its SSE extension, the page script, the
 * stylesheet) and, when Glassbox runs open (GLASSBOX_AUTH=off), the warning every page shows.
 */
import type { Child } from "hono/jsx";
import { assetUrls } from "../../static/assets.ts";

export function Layout(
  props: { title: string; assetVersion: string; warning?: string | null; children?: Child },
) {
  const urls = assetUrls(props.assetVersion);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{props.title}</title>
        <link rel="icon" href={urls.icon} type="image/svg+xml" />
        <link rel="stylesheet" href={urls.css} />
        <script src={urls.htmx} defer></script>
        <script src={urls.sse} defer></script>
        <script src={urls.js} defer></script>
      </head>
      <body>
        {props.warning ? <p class="open-warning" role="alert">{props.warning}</p> : null}
        {props.children}
      </body>
    </html>
  );
}

/** hono/jsx emits no doctype: every full page goes through here. */
export function renderDocument(node: Child): string {
  return `<!DOCTYPE html>${String(node)}`;
}
