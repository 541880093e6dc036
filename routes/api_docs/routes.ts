/**
 * Public: GET /openapi.json (the OpenAPI document, built once at start) and GET /docs, the API
 * reference page rendering it. Both describe the API only, no data, so a signed-out reader and
 * code generators can fetch them.
 */
import { Hono } from "hono";
import { ApiReferencePage } from "../../views/docs/api_reference.tsx";
import { renderDocument } from "../../views/common/layout.tsx";
import type { AppDeps } from "../deps.ts";
import { openApiDocument } from "./openapi.ts";

const SPEC_URL = "/openapi.json";

export function apiDocsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const document = JSON.stringify(openApiDocument(deps.version));
  app.get(SPEC_URL, (c) =>
    c.body(document, 200, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-cache",
    }));
  const page = renderDocument(ApiReferencePage({ version: deps.version, specUrl: SPEC_URL }));
  app.get("/docs", (c) => c.html(page));
  return app;
}
