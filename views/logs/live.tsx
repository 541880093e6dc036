/**
 * The live rows of the logs page: each `glassbox.log` event (a run's record, or a request's:
 * routes/request_tail.ts) becomes one SSE message (its id the event id, so a reconnect resumes
 * exactly) holding one table row, put at the top of `#log-live`. The same row component as the
 * stored history.
 */
import type { LogValue, RunEvent } from "../../agents/spine/events.ts";
import type { LogRecordRow } from "../../db/log_records.ts";
import { append, sseMessage } from "../stream/oob.tsx";
import { LogRecordTr } from "./page.tsx";

const utf8 = new TextEncoder();

/** What a live event does not carry itself: its run's conversation and owner. */
export type RunFacts = (ev: RunEvent) => { conversationId: string | null; userId: string | null };

export function liveRowEncoder(facts: RunFacts): (ev: RunEvent) => Uint8Array | null {
  return (ev) => {
    const v = (ev.event as { value?: LogValue & { kind?: string; requestId?: string } }).value;
    if (!v) return null;
    const { conversationId, userId } = facts(ev);
    // A request record (kind "http") has no run; it carries its request id.
    const http = v.kind === "http";
    const row: LogRecordRow = {
      id: ev.id,
      at: new Date(Number.isFinite(v.timestamp) ? v.timestamp : ev.createdAt),
      kind: http ? "http" : "run",
      level: v.level,
      userId,
      runId: http ? null : ev.runId,
      conversationId,
      agent: v.agent,
      category: v.category,
      message: v.message,
      properties: v.properties ?? {},
      requestId: http ? v.requestId ?? null : null,
    };
    const html = append("log-live", <LogRecordTr r={row} />, "afterbegin");
    return utf8.encode(sseMessage(html, { id: ev.id }));
  };
}
