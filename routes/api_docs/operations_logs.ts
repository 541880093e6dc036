/** The API routes of logs (live, stored, cleared) and exports. */
import { LlmCallsExport, LogsExport, RunsExport } from "../api/exports.ts";
import { LogsClearBody, LogsStreamQuery, RunLogsQuery } from "../api/logs.ts";
import { LogListQuery } from "../log_query.ts";
import { LAST_EVENT_ID, type Operation, SSE_DESCRIPTION } from "./operation.ts";
import * as R from "./responses.ts";

const EXPORT_TYPES = ["text/csv", "application/json", "application/x-ndjson"];

export const LOG_OPERATIONS: Record<string, Operation> = {
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
};
