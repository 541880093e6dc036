/**
 * The OpenAPI document: every API route of the app (Hono's own route list) is in it and nothing
 * else; @readme/openapi-parser validates it as OpenAPI 3.1 (and refuses a broken copy, so the
 * check can fail); /openapi.json serves it signed out; the request schemas are the validators'
 * (strict bodies say additionalProperties: false); and real answers of a running Glassbox parse
 * with the response schemas, so the document says what is sent.
 */
import assert from "node:assert/strict";
import { compileErrors, validate } from "@readme/openapi-parser";
import type { z } from "zod/v4";
import { openApiDocument, OPERATIONS } from "../routes/api_docs/openapi.ts";
import * as R from "../routes/api_docs/responses.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson, type TestServer, withDemoGlassbox } from "./support/server.ts";

const ignore = await skipWithoutPostgres();

/** Routes that are the HTTP API (the rest are pages and assets). */
const isApi = (path: string) =>
  /^\/(api|demo)\//.test(path) || ["/health", "/metrics", "/openapi.json"].includes(path);

function apiRoutes(gb: TestServer): string[] {
  const all = gb.glassbox.app.routes
    .filter((r) => r.method !== "ALL" || r.handler.length < 2)
    .filter((r) => isApi(r.path))
    .map((r) => `${r.method} ${r.path}`);
  return [...new Set(all)].sort();
}

type Doc = {
  paths: Record<string, Record<string, { security: unknown[]; responses: object }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

Deno.test({ name: "openapi: every API route, valid 3.1, served signed out", ignore }, async () => {
  await withDemoGlassbox(async (gb) => {
    assert.deepEqual(
      Object.keys(OPERATIONS).sort(),
      apiRoutes(gb),
      "routes/api_docs/openapi.ts OPERATIONS lists exactly the app's API routes",
    );
    const doc = openApiDocument(gb.glassbox.deps.version) as Doc;
    for (const route of Object.keys(OPERATIONS)) {
      const [method, path] = route.split(" ");
      const docPath = path.replace(/:(\w+)/g, "{$1}");
      if (method === "ALL") {
        assert.ok(Object.keys(doc.paths).some((p) => p.startsWith(path.replace("*", ""))));
      } else assert.ok(doc.paths[docPath]?.[method.toLowerCase()], `${route} in paths`);
    }
    const result = await validate(structuredClone(doc) as never);
    assert.ok(result.valid, result.valid ? "" : compileErrors(result));

    // The validator does refuse a broken document.
    const broken = structuredClone(doc);
    // A parameter must say where it is (`in`).
    Object.assign(broken.paths["/api/v1/chat"].post, { parameters: [{ name: "q" }] });
    assert.equal((await validate(broken as never)).valid, false);

    // Security: bearer key or session cookie; /health and this document are public.
    assert.deepEqual(doc.paths["/api/v1/chat"].post.security, [{ apiKey: [] }, { session: [] }]);
    assert.deepEqual(doc.paths["/health"].get.security, []);
    // The request schemas are the validators': strict bodies refuse unknown fields.
    assert.equal(doc.components.schemas.ChatBody.additionalProperties, false);
    assert.deepEqual(doc.components.schemas.ChatBody.required, ["message"]);

    const res = await fetch(`${gb.url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^application\/json/);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(doc)));
  }, {
    GLASSBOX_AUTH: "on",
    GLASSBOX_ADMIN_EMAIL: "a@example.com",
    GLASSBOX_ADMIN_PASSWORD: "a password that is long",
  });
});

Deno.test({ name: "openapi: real answers parse with the response schemas", ignore }, async () => {
  await withDemoGlassbox(async (gb) => {
    const parse = async (schema: z.ZodType, res: Response | Promise<Response>, status = 200) => {
      const r = await res;
      assert.equal(r.status, status, r.url);
      const body = await r.json();
      const parsed = schema.safeParse(body);
      assert.ok(parsed.success, `${r.url}: ${JSON.stringify(parsed.error?.issues)}`);
      return body;
    };
    const get = (path: string) => fetch(gb.url + path);
    const chat = await parse(
      R.ChatAnswer,
      postJson(`${gb.url}/api/v1/chat`, { message: "17 * 23?" }),
    );
    await parse(R.RunInfo, get(`/api/v1/runs/${chat.run_id}`));
    await parse(R.ApiError, postJson(`${gb.url}/api/v1/runs/${chat.run_id}/cancel`, {}), 409);
    await parse(R.ApiError, get(`/api/v1/runs/${crypto.randomUUID()}`), 404);
    await parse(R.ApiError, postJson(`${gb.url}/api/v1/chat`, { message: "x", extra: 1 }), 400);
    const calls = await parse(R.LlmCallPage, get(`/api/v1/llm-calls?run_id=${chat.run_id}`));
    assert.ok(calls.items.length > 0);
    const convs = await parse(R.ConversationList, get("/api/v1/conversations"));
    assert.ok(convs.items.length > 0);
    await parse(
      R.ConversationMessages,
      get(`/api/v1/conversations/${chat.conversation_id}/messages`),
    );
    await parse(R.UsageReport, get("/api/v1/usage"));
    await parse(R.LogPage, get("/api/v1/logs"));
    await parse(R.LogPage, get(`/api/v1/runs/${chat.run_id}/logs`));
    await parse(R.TeamOverview, get("/api/v1/agents"));
    await parse(R.Health, get("/health"));
    // A run's stream: every data line is an EventEnvelope.
    const text = await (await get(`/api/v1/runs/${chat.run_id}/events`)).text();
    const data = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) =>
      JSON.parse(l.slice(6))
    );
    assert.ok(data.length > 3);
    for (const d of data) assert.ok(R.EventEnvelope.safeParse(d).success, JSON.stringify(d));
  });
});
