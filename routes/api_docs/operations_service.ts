/**
 * The WebSocket, the team, the demo model, and the service's own routes: health, sessions,
 * metrics, this document.
 */
import type { Operation } from "./operation.ts";
import * as R from "./responses.ts";

export const SERVICE_OPERATIONS: Record<string, Operation> = {
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
