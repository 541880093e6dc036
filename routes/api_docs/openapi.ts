/**
 * The OpenAPI 3.1 document of Glassbox's HTTP API, generated from the zod schemas that validate
 * the requests (each route module exports its own; AG-UI's RunAgentInput is @ag-ui/core's) and
 * the response schemas of responses.ts, through `z.toJSONSchema` (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1). OPERATIONS lists every API route of the app by "METHOD path" as Hono
 * spells it; tests/openapi_test.ts fails when a route of the app is missing here or one here is
 * not a route.
 */
import { z } from "zod/v4";
import { AguiInput } from "../api/agui.ts";
import { AlertRuleBody, AlertRulePatch, DeliveriesQuery } from "../api/alerts.ts";
import { BudgetSpec, CostSettings } from "../api/budgets.ts";
import { ChatBody } from "../api/chat.ts";
import { ConversationsQuery } from "../api/conversations.ts";
import { LlmCallsExport, LogsExport, RunsExport } from "../api/exports.ts";
import { LlmCallsQuery } from "../api/llm_calls.ts";
import { LogsClearBody, LogsStreamQuery, RunLogsQuery } from "../api/logs.ts";
import { UsageQuery } from "../api/usage.ts";
import { WsClientMessage } from "../api/ws.ts";
import { LogListQuery } from "../log_query.ts";
import * as R from "./responses.ts";
import { UUID_RE } from "../../db/uuid.ts";

/** AG-UI's RunAgentInput, made strict (zod/v4 too; its type is @ag-ui/core's zod instance). */
const RunAgentInput = AguiInput as unknown as z.ZodType;

const TAGS = [
  "Chat",
  "Runs",
  "History",
  "Logs",
  "Exports",
  "Budgets",
  "Alerts",
  "Team",
  "Operations",
  "Demo model",
] as const;

/** Who may call: any viewer with the scope, the public, or admins (and the metrics token). */
type Access = { scope: "read" | "chat" } | "public" | "metrics" | "admin";

interface Operation {
  summary: string;
  description?: string;
  tag: (typeof TAGS)[number];
  access: Access;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success: a JSON schema, an SSE stream, a WebSocket, or text. */
  ok:
    | { status?: 200; json: z.ZodType; description: string }
    | { sse: string }
    | { websocket: true }
    | { noContent: string }
    | { text: string; contentType: string | string[] };
  /** Error statuses this operation answers besides 401/403 (400 comes with query or body). */
  errors?: number[];
  headers?: Record<string, { description: string }>;
}

const SSE_DESCRIPTION = "`text/event-stream`: `id:` is the event id, `data:` one EventEnvelope " +
  "(JSON). Resume with `Last-Event-ID` (or `?after=`).";
const EXPORT_TYPES = ["text/csv", "application/json", "application/x-ndjson"];
const LAST_EVENT_ID = {
  "Last-Event-ID": { description: "resume after this event id (SSE reconnects send it)" },
};

/** Every API route: "METHOD path" exactly as in app.routes. */
export const OPERATIONS: Record<string, Operation> = {
  "POST /api/v1/chat": {
    summary: "Ask a question and wait for the answer",
    description: "Starts a run of an entry agent (the caller owns it) and answers when it ends. " +
      "A failed run is a 502 with the same summary and `error`.",
    tag: "Chat",
    access: { scope: "chat" },
    body: ChatBody,
    ok: { json: R.ChatAnswer, description: "the run's answer, status and usage" },
    errors: [404, 409, 429, 502],
  },
  "POST /api/v1/chat/stream": {
    summary: "Ask a question and stream the run's events",
    description: "Headers `x-run-id` and `x-conversation-id` name the run.",
    tag: "Chat",
    access: { scope: "chat" },
    body: ChatBody,
    ok: { sse: SSE_DESCRIPTION },
    errors: [404, 409, 429],
  },
  "POST /api/v1/agui": {
    summary: "AG-UI: run an agent from a RunAgentInput",
    description: "The AG-UI protocol (works with @ag-ui/client's HttpAgent): streams pure AG-UI " +
      "events. The thread is the caller's conversation; forwardedProps cannot name a user.",
    tag: "Chat",
    access: { scope: "chat" },
    body: RunAgentInput,
    ok: { sse: "`text/event-stream` of AG-UI events (JSON data)." },
    errors: [404, 409, 429],
  },
  "GET /api/v1/runs/:id": {
    summary: "A run: status, timing, usage and cost",
    tag: "Runs",
    access: { scope: "read" },
    ok: { json: R.RunInfo, description: "the run" },
    errors: [404],
  },
  "GET /api/v1/runs/:id/events": {
    summary: "A run's events: stored ones, then live ones, until its terminal event",
    tag: "Runs",
    access: { scope: "read" },
    ok: { sse: SSE_DESCRIPTION },
    headers: LAST_EVENT_ID,
    errors: [400, 404],
  },
  "POST /api/v1/runs/:id/cancel": {
    summary: "Stop a run and its in-flight LLM call",
    description: "A gateway session's run too: its calls in flight are aborted (recorded " +
      "cancelled), the run ends cancelled, and the session's next calls get 409 session_stopped.",
    tag: "Runs",
    access: { scope: "chat" },
    ok: { json: R.CancelResult, description: "the run's final status" },
    errors: [404, 409],
  },
  "GET /api/v1/llm-calls": {
    summary: "Recorded LLM calls, newest first",
    description: "Filters combine; an admin's list covers everyone (user_id narrows it).",
    tag: "History",
    access: { scope: "read" },
    query: LlmCallsQuery,
    ok: { json: R.LlmCallPage, description: "one page of calls" },
  },
  "GET /api/v1/conversations": {
    summary: "Conversations, most recent first",
    tag: "History",
    access: { scope: "read" },
    query: ConversationsQuery,
    ok: { json: R.ConversationList, description: "the conversations" },
  },
  "GET /api/v1/conversations/:id/messages": {
    summary: "A conversation's messages",
    tag: "History",
    access: { scope: "read" },
    ok: { json: R.ConversationMessages, description: "the conversation and its messages" },
    errors: [404],
  },
  "GET /api/v1/usage": {
    summary: "Cost and token analytics: totals, by model, by agent",
    tag: "History",
    access: { scope: "read" },
    query: UsageQuery,
    ok: { json: R.UsageReport, description: "the report" },
  },
  "GET /api/v1/logs/stream": {
    summary: "Live log tail of the runs the caller may see",
    tag: "Logs",
    access: { scope: "read" },
    query: LogsStreamQuery,
    headers: LAST_EVENT_ID,
    ok: { sse: SSE_DESCRIPTION + " Each event is a CUSTOM `glassbox.log` event." },
  },
  "GET /api/v1/logs": {
    summary: "Stored log records (runs' and HTTP requests'), newest first",
    description: "The same filters as the logs page; full-text search with `q`.",
    tag: "Logs",
    access: { scope: "read" },
    query: LogListQuery,
    ok: { json: R.LogPage, description: "one page of records" },
  },
  "GET /api/v1/runs/:id/logs": {
    summary: "One run's log records",
    tag: "Logs",
    access: { scope: "read" },
    query: RunLogsQuery,
    ok: { json: R.LogPage, description: "one page of records" },
    errors: [404],
  },
  "POST /api/v1/logs/clear": {
    summary: "Delete log records: a run's, a conversation's, or all before a date (audited)",
    description: "Admins only. JSON, or a form with the same fields.",
    tag: "Logs",
    access: "admin",
    body: LogsClearBody,
    ok: { json: R.LogsCleared, description: "how many records were deleted" },
  },
  "GET /api/v1/exports/logs": {
    summary: "Export log records (CSV, JSON or NDJSON), streamed",
    tag: "Exports",
    access: { scope: "read" },
    query: LogsExport,
    ok: { text: "the records", contentType: EXPORT_TYPES },
  },
  "GET /api/v1/exports/llm-calls": {
    summary: "Export LLM calls (CSV, JSON or NDJSON), streamed",
    tag: "Exports",
    access: { scope: "read" },
    query: LlmCallsExport,
    ok: { text: "the calls", contentType: EXPORT_TYPES },
  },
  "GET /api/v1/exports/runs": {
    summary: "Export runs (CSV, JSON or NDJSON), streamed",
    tag: "Exports",
    access: { scope: "read" },
    query: RunsExport,
    ok: { text: "the runs", contentType: EXPORT_TYPES },
  },
  "GET /api/v1/admin/budgets": {
    summary: "Budgets in force, the unpriced policy, thresholds reached lately",
    tag: "Budgets",
    access: "admin",
    ok: { json: R.BudgetsOverview, description: "the budgets" },
  },
  "POST /api/v1/admin/budgets": {
    summary: "Set a budget (a budget spec, as in the team file)",
    tag: "Budgets",
    access: "admin",
    body: BudgetSpec,
    ok: { json: R.BudgetSaved, description: "the budget as stored" },
  },
  "POST /api/v1/admin/budgets/:id/delete": {
    summary: "Delete a budget set through the API (configured budgets stay)",
    tag: "Budgets",
    access: "admin",
    ok: { noContent: "deleted" },
    errors: [404],
  },
  "POST /api/v1/admin/cost-settings": {
    summary: "How calls of unknown price count: allow, tokens or refuse",
    tag: "Budgets",
    access: "admin",
    body: CostSettings,
    ok: { json: R.BudgetsOverview, description: "the budgets after the change" },
  },
  "GET /api/v1/admin/alerts/rules": {
    summary: "Alert rules (never their secrets; only their webhooks' origins)",
    tag: "Alerts",
    access: "admin",
    ok: { json: R.AlertRules, description: "the rules" },
  },
  "POST /api/v1/admin/alerts/rules": {
    summary: "Make an alert rule: cost, error_rate, latency or budget",
    description: "The answer carries the rule's Standard Webhooks signing secret, this once. " +
      "A budget rule (`budget_level`: warning, limit or any) needs no threshold or window.",
    tag: "Alerts",
    access: "admin",
    body: AlertRuleBody,
    ok: { json: R.AlertRuleCreated, description: "the rule and its secret" },
  },
  "GET /api/v1/admin/alerts/rules/:id": {
    summary: "One alert rule",
    tag: "Alerts",
    access: "admin",
    ok: { json: R.AlertRuleOne, description: "the rule" },
    errors: [404],
  },
  "POST /api/v1/admin/alerts/rules/:id": {
    summary: "Enable or disable an alert rule",
    tag: "Alerts",
    access: "admin",
    body: AlertRulePatch,
    ok: { json: R.AlertRuleOne, description: "the rule after the change" },
    errors: [404],
  },
  "POST /api/v1/admin/alerts/rules/:id/delete": {
    summary: "Delete an alert rule and its deliveries",
    tag: "Alerts",
    access: "admin",
    ok: { noContent: "deleted" },
    errors: [404],
  },
  "POST /api/v1/admin/alerts/rules/:id/test": {
    summary: "Queue a test delivery of an alert rule",
    tag: "Alerts",
    access: "admin",
    ok: { json: R.AlertTestQueued, description: "the test delivery's id" },
    errors: [404],
  },
  "GET /api/v1/admin/alerts/deliveries": {
    summary: "The latest alert deliveries, newest first, with every attempt",
    tag: "Alerts",
    access: "admin",
    query: DeliveriesQuery,
    ok: { json: R.AlertDeliveries, description: "the deliveries" },
  },
  "GET /api/v1/ws": {
    summary: "WebSocket: chat, follow runs and logs, cancel, ping",
    description: "Upgrade to a WebSocket. Client messages are WsClientMessage (JSON); the " +
      "server sends `run_started`, `event` (an EventEnvelope with `type: event`), `end`, " +
      "`cancelled`, `pong` and `error` (the socket stays open). A browser's handshake from " +
      "another origin is refused.",
    tag: "Runs",
    access: { scope: "read" },
    ok: { websocket: true },
  },
  "GET /api/v1/agents": {
    summary: "The team: agents, providers (no keys), MCP servers' state",
    tag: "Team",
    access: { scope: "read" },
    ok: { json: R.TeamOverview, description: "the team as loaded" },
  },
  "ALL /demo/v1/*": {
    summary: "The offline demo model (OpenAI-compatible chat completions and models)",
    description: "`POST /demo/v1/chat/completions` and `GET /demo/v1/models`, for any OpenAI " +
      "client: base URL `/demo/v1`, model `glassbox-demo`.",
    tag: "Demo model",
    access: { scope: "read" },
    ok: { text: "OpenAI-compatible JSON or SSE", contentType: "application/json" },
  },
  "GET /health": {
    summary: "Health: database, providers, team, MCP servers",
    description: "503 when the database is down; `degraded` when a provider, an MCP server or " +
      "the team file is unwell.",
    tag: "Operations",
    access: "public",
    ok: { json: R.Health, description: "ok or degraded" },
    errors: [503],
  },
  "GET /api/v1/sessions": {
    summary: "Active runs and their SSE/WebSocket subscribers, per run and per user",
    description: "Admins only. This process's runs and subscribers, counted by transport " +
      "(sse_json: the API's SSE; sse_html: the pages' htmx SSE; websocket: /api/v1/ws " +
      "followers; agui: POST /api/v1/agui).",
    tag: "Operations",
    access: "admin",
    ok: { json: R.Sessions, description: "runs, users and totals" },
  },
  "GET /metrics": {
    summary: "Prometheus metrics",
    description: "For admins (session, or an API key with the admin scope) and for a scraper " +
      "sending GLASSBOX_METRICS_TOKEN.",
    tag: "Operations",
    access: "metrics",
    ok: { text: "Prometheus text exposition 0.0.4", contentType: "text/plain; version=0.0.4" },
  },
  "GET /openapi.json": {
    summary: "This document",
    tag: "Operations",
    access: "public",
    ok: { text: "OpenAPI 3.1", contentType: "application/json" },
  },
};

const ERROR_TEXT: Record<number, string> = {
  400: "invalid input (every problem named in the message)",
  401: "no valid session or API key",
  403: "the key lacks the scope (insufficient_scope), or not an admin",
  404: "not found (or not yours)",
  409: "conflict (e.g. the run already ended)",
  429: "too many runs; see Retry-After",
  502: "the run failed",
  503: "the database is down",
};

type Json = Record<string, unknown>;

/** "ALL /demo/v1/*" → ["POST /demo/v1/chat/completions"…]; ":id" → "{id}". */
function openApiPaths(route: string): { method: string; path: string }[] {
  const [method, path] = route.split(" ");
  if (route === "ALL /demo/v1/*") {
    return [
      { method: "post", path: "/demo/v1/chat/completions" },
      { method: "get", path: "/demo/v1/models" },
    ];
  }
  return [{ method: method.toLowerCase(), path: path.replace(/:([A-Za-z_]+)/g, "{$1}") }];
}

/**
 * JSON Schema keeps a regex's source but not its flags: the UUID check is case-insensitive, so
 * its pattern says so (and the format names it).
 */
const UUID_PATTERN = UUID_RE.source.replaceAll("[0-9a-f]", "[0-9a-fA-F]");
const toJsonSchemaOptions = {
  io: "input",
  // AG-UI's metadata is a z.custom: any JSON value there.
  unrepresentable: "any",
  override: ({ jsonSchema }: { jsonSchema: Json }) => {
    if (jsonSchema.pattern === UUID_RE.source) {
      Object.assign(jsonSchema, { format: "uuid", pattern: UUID_PATTERN });
    }
  },
} as const;

/** JSON Schema (2020-12) of every named schema, refs between them as components. */
function componentSchemas(named: Record<string, z.ZodType>): Json {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    ...toJsonSchemaOptions,
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _, $id: __, ...s }]) => [id, s]),
  );
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** The named schemas: request bodies (the validators' own) and responses. */
const COMPONENTS: Record<string, z.ZodType> = {
  ...R,
  ChatBody,
  RunAgentInput,
  WsClientMessage,
  LogsClearBody,
  BudgetSpec,
  CostSettings,
  AlertRuleBody,
  AlertRulePatch,
};
const NAME_OF = new Map(Object.entries(COMPONENTS).map(([name, s]) => [s, name]));

/** The document; `version` is Glassbox's. */
export function openApiDocument(version: string): Json {
  const used = new Set<string>(["ApiError", "EventEnvelope", "WsClientMessage"]);
  const refOf = (schema: z.ZodType) => {
    const name = NAME_OF.get(schema);
    if (!name) throw new Error("a body or response schema of OPERATIONS is not in COMPONENTS");
    used.add(name);
    return ref(name);
  };
  const queryProps = (q: z.ZodObject) =>
    z.toJSONSchema(q, toJsonSchemaOptions) as {
      properties?: Record<string, Json>;
      required?: string[];
    };

  const paths: Record<string, Json> = {};
  for (const [route, op] of Object.entries(OPERATIONS)) {
    for (const { method, path } of openApiPaths(route)) {
      const parameters: Json[] = [];
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        const n = name.slice(1, -1);
        parameters.push({
          name: n,
          in: "path",
          required: true,
          schema: { type: "string", format: "uuid", pattern: UUID_PATTERN },
        });
      }
      if (op.query) {
        const js = queryProps(op.query);
        for (const [name, schema] of Object.entries(js.properties ?? {})) {
          parameters.push({
            name,
            in: "query",
            required: js.required?.includes(name) ?? false,
            schema,
          });
        }
      }
      for (const [name, h] of Object.entries(op.headers ?? {})) {
        parameters.push({
          name,
          in: "header",
          required: false,
          description: h.description,
          schema: { type: "string" },
        });
      }
      const responses: Record<string, Json> = {};
      const ok = op.ok;
      if ("json" in ok) {
        responses["200"] = {
          description: ok.description,
          content: { "application/json": { schema: refOf(ok.json) } },
        };
      } else if ("sse" in ok) {
        responses["200"] = {
          description: ok.sse,
          content: { "text/event-stream": { schema: { type: "string" } } },
        };
      } else if ("noContent" in ok) {
        responses["204"] = { description: ok.noContent };
      } else if ("websocket" in ok) {
        responses["101"] = { description: "Switching Protocols: the WebSocket is open" };
        responses["426"] = { description: "not a WebSocket upgrade request" };
      } else {
        responses["200"] = {
          description: ok.text,
          content: Object.fromEntries(
            [ok.contentType].flat().map((type) => [type, { schema: { type: "string" } }]),
          ),
        };
      }
      const errors = new Set(op.errors ?? []);
      if (op.query || op.body) errors.add(400);
      if (op.access !== "public") [401, 403].forEach((s) => errors.add(s));
      for (const status of [...errors].sort()) {
        responses[String(status)] = {
          description: ERROR_TEXT[status],
          content: { "application/json": { schema: ref("ApiError") } },
        };
      }
      const operation: Json = {
        operationId: operationId(method, path),
        summary: op.summary,
        ...(op.description && { description: op.description }),
        tags: [op.tag],
        ...(parameters.length && { parameters }),
        ...(op.body && {
          requestBody: {
            required: true,
            content: { "application/json": { schema: refOf(op.body) } },
          },
        }),
        responses,
        security: securityOf(op.access),
        ...(typeof op.access === "object" && { "x-required-scope": op.access.scope }),
        ...(op.access === "admin" && { "x-required-scope": "admin" }),
      };
      (paths[path] ??= {})[method] = operation;
    }
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Glassbox API",
      version,
      description: "Programs authenticate with an API key (`Authorization: Bearer gb_live_…`); " +
        "a browser's session cookie works too. GET needs the key's `read` scope, anything else " +
        "`chat`. Answers cover the caller's own data; an admin's cover everyone's (`user_id` " +
        'narrows to one user). Errors are `{"error": {"code", "message"}}`.',
    },
    servers: [{ url: "/" }],
    tags: TAGS.map((name) => ({ name })),
    paths,
    components: {
      schemas: componentSchemas(
        Object.fromEntries([...used].sort().map((name) => [name, COMPONENTS[name]])),
      ),
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description: "An API key `gb_live_…` (made on /keys), with scopes read, chat, admin.",
        },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "gb_session",
          description: "The browser's session after sign-in (`__Host-gb_session` over https).",
        },
        metricsToken: {
          type: "http",
          scheme: "bearer",
          description: "GLASSBOX_METRICS_TOKEN, for /metrics only.",
        },
      },
    },
  };
}

function securityOf(access: Access): Json[] {
  if (access === "public") return [];
  const viewer = [{ apiKey: [] }, { session: [] }];
  return access === "metrics" ? [...viewer, { metricsToken: [] }] : viewer;
}

/** post /api/v1/runs/{id}/cancel → postApiV1RunsIdCancel */
function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method + words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
}
