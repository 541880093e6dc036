/**
 * The OpenAPI 3.1 document of Glassbox's HTTP API, generated from the zod schemas that validate
 * the requests (each route module exports its own; AG-UI's RunAgentInput is @ag-ui/core's) and
 * the response schemas of responses.ts, through `z.toJSONSchema` (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1). OPERATIONS lists every API route of the app by "METHOD path" as Hono
 * spells it, composed of one table per API area (operations_*.ts); tests/openapi_test.ts fails
 * when a route of the app is missing there or one there is not a route.
 */
import { z } from "zod/v4";
import { ChatBody } from "../api/chat.ts";
import { AlertRuleBody, AlertRulePatch } from "../api/alerts.ts";
import { BudgetSpec, CostSettings } from "../api/budgets.ts";
import { LogsClearBody } from "../api/logs.ts";
import { WsClientMessage } from "../api/ws.ts";
import { type Access, type Operation, TAGS } from "./operation.ts";
import { ADMIN_OPERATIONS } from "./operations_admin.ts";
import { LOG_OPERATIONS } from "./operations_logs.ts";
import { RUN_OPERATIONS, RunAgentInput } from "./operations_runs.ts";
import { SERVICE_OPERATIONS } from "./operations_service.ts";
import * as R from "./responses.ts";
import { UUID_RE } from "../../db/uuid.ts";

/** Every API route: "METHOD path" exactly as in app.routes, by area, in the document's order. */
export const OPERATIONS: Record<string, Operation> = {
  ...RUN_OPERATIONS,
  ...LOG_OPERATIONS,
  ...ADMIN_OPERATIONS,
  ...SERVICE_OPERATIONS,
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
