/**
 * The HTTP surface as one Hono app, in the order that matters: request ids and the request log
 * first, then the host check and security headers, the deadline for headers, body limits, the
 * metrics scraper's token, the CSRF check and who is asking; the public routes; then everything
 * that needs a viewer (pages, the JSON APIs with their scopes, the LLM gateway). It holds no state
 * of its own: app.ts builds the parts (deps) and hands them in.
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { getLogger } from "../agents/logging/logging.ts";
import { isDatabaseUnavailable } from "../db/client.ts";
import type { HttpRecord } from "../db/log_records.ts";
import {
  maybeViewer,
  requireApiScope,
  requireGatewayScope,
  requireViewer,
  resolveViewer,
} from "./access.ts";
import { agentsApi } from "./api/agents.ts";
import { aguiApi } from "./api/agui.ts";
import { alertsApi } from "./api/alerts.ts";
import { budgetsApi } from "./api/budgets.ts";
import { chatApi } from "./api/chat.ts";
import { conversationsApi } from "./api/conversations.ts";
import { exportsApi } from "./api/exports.ts";
import { GATEWAY_PATH, gatewayApi } from "./api/gateway.ts";
import { llmCallsApi } from "./api/llm_calls.ts";
import { logsApi } from "./api/logs.ts";
import { runsApi } from "./api/runs.ts";
import { sessionsApi } from "./api/sessions.ts";
import { usageApi } from "./api/usage.ts";
import { wsApi } from "./api/ws.ts";
import { apiDocsRoutes } from "./api_docs/routes.ts";
import { assetRoutes } from "./assets.ts";
import { requestDeadline } from "./deadline.ts";
import type { AppDeps } from "./deps.ts";
import { apiError, errorResponse, isUnstorableText, UNSTORABLE_MESSAGE } from "./errors.ts";
import { healthRoutes } from "./health.ts";
import { metricsByToken, metricsRoutes } from "./metrics.ts";
import { accountPages } from "./pages/account.tsx";
import { adminPages } from "./pages/admin.tsx";
import { agentsPages } from "./pages/agents.tsx";
import { alertPages } from "./pages/alerts.tsx";
import { authPages } from "./pages/auth.tsx";
import { budgetsPages } from "./pages/budgets.tsx";
import { callsPages } from "./pages/calls.tsx";
import { pageRoutes } from "./pages/chat.tsx";
import { logsPages } from "./pages/logs.tsx";
import { sessionsPages } from "./pages/sessions.tsx";
import { usagePages } from "./pages/usage.tsx";
import { requestIdOf, requestLog } from "./request_log.ts";
import { csrfGuard, hostGuard, securityHeaders } from "./security.ts";

const MAX_BODY_BYTES = 1024 * 1024;
/** An app's prompts through the gateway may carry long contexts and images. */
const MAX_GATEWAY_BODY_BYTES = 16 * 1024 * 1024;
const DB_RETRY_AFTER_S = 5;
const log = getLogger("app");

export interface HttpParts {
  /** Where each answered request's record goes (the logs explorer and the live tail). */
  recordRequest: (r: HttpRecord) => void;
  /** The demo model's OpenAI-compatible routes (served only while the team uses it). */
  demo: Hono;
}

export function httpApp(deps: AppDeps, parts: HttpParts): Hono {
  const { config, edge, auth } = deps;
  const app = new Hono();
  app.onError((err, c) => {
    // hono/csrf refuses a cross-site form post with an HTTPException(403).
    if (err instanceof HTTPException && err.status === 403) {
      return apiError(c, 403, "forbidden", "Cross-site request refused.");
    }
    if (isDatabaseUnavailable(err)) return databaseUnavailable(c, err);
    if (isUnstorableText(err)) {
      return errorResponse(c, 400, "invalid_body", `${UNSTORABLE_MESSAGE}.`);
    }
    log.error("Unhandled error on {path}: {error}", {
      path: c.req.path,
      error: String(err),
      stack: err.stack ?? null,
      requestId: requestIdOf(c),
    });
    return errorResponse(c, 500, "internal", "something went wrong on our side; it was logged");
  });
  app.use(
    "*",
    requestLog({
      log: getLogger("http"),
      record: parts.recordRequest,
      userOf: (c) => maybeViewer(c)?.userId ?? null,
    }),
  );
  app.use("*", hostGuard(edge), securityHeaders(edge));
  // Before anything that may query the database (sign-in included): a bounded wait for headers.
  app.use(
    "*",
    requestDeadline(
      config.requestTimeoutMs,
      (path) => path.startsWith(`${GATEWAY_PATH}/`) || path.startsWith("/demo/v1/"),
    ),
  );
  // Messages are capped at 32k characters; nothing legitimate needs a bigger body.
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) => apiError(c, 413, "body_too_large", `bodies are limited to ${maxSize} bytes`),
    });
  const appLimit = limit(MAX_BODY_BYTES);
  const gatewayLimit = limit(MAX_GATEWAY_BODY_BYTES);
  app.use(
    "*",
    (c, next) =>
      c.req.path.startsWith(`${GATEWAY_PATH}/`) ? gatewayLimit(c, next) : appLimit(c, next),
  );
  // Before sign-in is looked at: the scraper's token is no API key.
  app.route("/", metricsByToken(deps));
  app.use("*", csrfGuard(edge), resolveViewer(auth, edge));
  app.notFound((c) => apiError(c, 404, "not_found", `no route for ${c.req.method} ${c.req.path}`));
  // Public: what a signed-out browser needs.
  app.route("/", healthRoutes(deps));
  app.route("/", assetRoutes);
  app.route("/", apiDocsRoutes(deps));
  app.route("/", authPages(deps));
  // Everything registered from here on needs a viewer; the APIs also a scope by method.
  app.use("*", requireViewer);
  app.use("/api/v1/*", requireApiScope);
  app.use("/demo/v1/*", requireApiScope);
  app.use(`${GATEWAY_PATH}/*`, requireGatewayScope);
  app.route("/", pageRoutes(deps));
  app.route("/", callsPages(deps));
  app.route("/", usagePages(deps));
  app.route("/", agentsPages(deps));
  app.route("/", logsPages(deps));
  app.route("/", accountPages(deps));
  app.route("/", adminPages(deps));
  app.route("/", alertPages(deps));
  app.route("/", budgetsPages(deps));
  app.route("/", sessionsPages(deps));
  app.route("/", metricsRoutes(deps));
  app.route("/", parts.demo);
  for (
    const api of [
      chatApi,
      runsApi,
      llmCallsApi,
      conversationsApi,
      logsApi,
      exportsApi,
      aguiApi,
      wsApi,
      usageApi,
      agentsApi,
      budgetsApi,
      alertsApi,
      sessionsApi,
    ]
  ) {
    app.route("/api/v1", api(deps));
  }
  app.route(GATEWAY_PATH, gatewayApi(deps));
  return app;
}

/** While the database is away: 503 with Retry-After; JSON for the APIs, a page for browsers. */
function databaseUnavailable(c: Context, err: unknown): Response | Promise<Response> {
  log.warn("Database unavailable on {path}: {error}", { path: c.req.path, error: String(err) });
  c.header("Retry-After", String(DB_RETRY_AFTER_S));
  const message = "the database is unreachable right now; try again in a few seconds";
  return errorResponse(c, 503, "database_unavailable", message);
}
