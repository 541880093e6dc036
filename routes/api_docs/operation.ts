/**
 * What an entry of OPERATIONS (openapi.ts) says about one API route, and what several areas'
 * entries share. The entries themselves are in operations_*.ts, one module per API area.
 */
import type { z } from "zod/v4";

export const TAGS = [
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
export type Access = { scope: "read" | "chat" } | "public" | "metrics" | "admin";

export interface Operation {
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

export const SSE_DESCRIPTION =
  "`text/event-stream`: `id:` is the event id, `data:` one EventEnvelope " +
  "(JSON). Resume with `Last-Event-ID` (or `?after=`).";
export const LAST_EVENT_ID = {
  "Last-Event-ID": { description: "resume after this event id (SSE reconnects send it)" },
};
