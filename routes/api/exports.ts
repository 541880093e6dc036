/**
 * Exports of what the caller may see, streamed: GET /api/v1/exports/logs, /exports/llm-calls and
 * /exports/runs, each `?format=csv|json|ndjson` plus the filters of its list. Rows are read a
 * page at a time as the client takes them (db/exports.ts), so memory stays flat for any number
 * of rows and a slow client holds back only its own export. CSV cells that a spreadsheet would
 * run as a formula (=, +, -, @ first) get a leading apostrophe.
 */
import { Hono } from "hono";
import { z } from "zod/v4";
import { LLM_CALL_STATUSES } from "../../agents/spine/events.ts";
import { ownerScope } from "../../auth/viewer.ts";
import { exportPages, llmCallExport, logExport, runExport, type Source } from "../../db/exports.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { LOG_FILTER_FIELDS, logFilter } from "../log_query.ts";
import { validQuery } from "../validate.ts";

export const EXPORT_FORMATS = ["csv", "json", "ndjson"] as const;
type Format = typeof EXPORT_FORMATS[number];
const RUN_STATUSES = ["running", "succeeded", "failed", "cancelled", "interrupted"] as const;

const format = z.enum(EXPORT_FORMATS, {
  message: `must be one of ${EXPORT_FORMATS.join(", ")}`,
}).default("ndjson");
const uuid = (what: string) => z.string().regex(UUID_RE, `must be a ${what} id (a UUID)`);
const { from, to, user_id, conversation_id } = LOG_FILTER_FIELDS;

export const LogsExport = z.object({ ...LOG_FILTER_FIELDS, format }).strict();
export const LlmCallsExport = z.object({
  format,
  status: z.enum(LLM_CALL_STATUSES).optional(),
  model: z.string().max(200).optional(),
  run_id: uuid("run").optional(),
  conversation_id,
  user_id,
  from,
  to,
}).strict();
export const RunsExport = z.object({
  format,
  status: z.enum(RUN_STATUSES).optional(),
  agent: z.string().max(200).optional(),
  conversation_id,
  user_id,
  from,
  to,
}).strict();

export function exportsApi(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;

  app.get("/exports/logs", validQuery(LogsExport), (c) => {
    const q = c.req.valid("query");
    const source = logExport(sql, logFilter(q, ownerScope(viewerOf(c), q.user_id)));
    return exportResponse(deps, "logs", q.format, source);
  });

  app.get("/exports/llm-calls", validQuery(LlmCallsExport), (c) => {
    const q = c.req.valid("query");
    const source = llmCallExport(sql, {
      scope: ownerScope(viewerOf(c), q.user_id),
      status: q.status,
      model: q.model,
      runId: q.run_id,
      conversationId: q.conversation_id,
      from: q.from,
      to: q.to,
    });
    return exportResponse(deps, "llm-calls", q.format, source);
  });

  app.get("/exports/runs", validQuery(RunsExport), (c) => {
    const q = c.req.valid("query");
    const source = runExport(sql, {
      scope: ownerScope(viewerOf(c), q.user_id),
      status: q.status,
      agent: q.agent,
      conversationId: q.conversation_id,
      from: q.from,
      to: q.to,
    });
    return exportResponse(deps, "runs", q.format, source);
  });

  return app;
}

const TYPES: Record<Format, string> = {
  csv: "text/csv; charset=utf-8",
  json: "application/json; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
};

function exportResponse(deps: AppDeps, name: string, format: Format, source: Source): Response {
  const day = new Date().toISOString().slice(0, 10);
  return new Response(exportStream(deps, source, format), {
    headers: {
      "content-type": TYPES[format],
      "content-disposition": `attachment; filename="glassbox-${name}-${day}.${format}"`,
      "cache-control": "no-store",
    },
  });
}

const utf8 = new TextEncoder();

/** The rows, encoded page by page as the client reads (pull), never all at once. */
export function exportStream(
  deps: Pick<AppDeps, "db">,
  source: Source,
  format: Format,
): ReadableStream<Uint8Array> {
  const pages = exportPages(deps.db.sql, source);
  let first = true;
  let columns: string[] | null = null;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const next = await pages.next();
      if (next.done) {
        if (format === "json") ctrl.enqueue(utf8.encode(first ? "[]\n" : "\n]\n"));
        if (format === "csv" && first) ctrl.enqueue(utf8.encode("\r\n"));
        ctrl.close();
        return;
      }
      const rows = next.value;
      let out = "";
      if (format === "csv") {
        columns ??= Object.keys(rows[0]);
        if (first) out += columns.map(csvCell).join(",") + "\r\n";
        for (const r of rows) out += columns.map((k) => csvCell(r[k])).join(",") + "\r\n";
      } else if (format === "ndjson") {
        for (const r of rows) out += JSON.stringify(r) + "\n";
      } else {
        for (const [i, r] of rows.entries()) {
          out += (first && i === 0 ? "[\n" : ",\n") + JSON.stringify(r);
        }
      }
      first = false;
      ctrl.enqueue(utf8.encode(out));
    },
    async cancel() {
      await pages.return(undefined);
    },
  }, { highWaterMark: 0 });
}

/** One CSV cell (RFC 4180), objects as JSON, formulas defused. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  let s = v instanceof Date
    ? v.toISOString()
    : typeof v === "object"
    ? JSON.stringify(v)
    : String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
