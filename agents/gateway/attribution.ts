/**
 * Who a gateway call belongs to, from optional request headers:
 *
 *   X-Glassbox-Session (or X-Glassbox-Conversation)  groups calls into one session (any text)
 *   X-Glassbox-Run          a Glassbox run the call joins (a remote agent's run passes it on)
 *   X-Glassbox-Agent        the agent making the call, as the tree names it
 *   X-Glassbox-Parent-Span  the span the call is a child of (16 hex digits); W3C `traceparent`
 *                           gives it too, with the trace id
 *   X-Glassbox-End-User     the end user the app serves (kept in the call's metadata)
 *
 * A malformed Glassbox header is the client's mistake (a 400); a malformed traceparent is
 * ignored, as W3C Trace Context asks.
 */

export interface Attribution {
  session: string | null;
  runId: string | null;
  agent: string | null;
  parentSpanId: string | null;
  traceId: string | null;
  endUser: string | null;
}

export const HEADERS = {
  session: "x-glassbox-session",
  conversation: "x-glassbox-conversation",
  run: "x-glassbox-run",
  agent: "x-glassbox-agent",
  parentSpan: "x-glassbox-parent-span",
  endUser: "x-glassbox-end-user",
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SPAN = /^[0-9a-f]{16}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const MAX_LABEL = 200;

export class AttributionError extends Error {}

export function attribution(headers: Headers): Attribution {
  const label = (name: string): string | null => {
    const v = headers.get(name)?.trim();
    if (!v) return null;
    // Headers are ByteStrings: a non-ASCII value arrives as Latin-1; decode it as UTF-8.
    const text = decodeLatin1(v);
    if (text.length > MAX_LABEL || hasControl(text) || !text.isWellFormed()) {
      throw new AttributionError(`${name} must be 1 to ${MAX_LABEL} printable characters`);
    }
    return text;
  };
  const run = headers.get(HEADERS.run)?.trim() || null;
  if (run !== null && !UUID.test(run)) {
    throw new AttributionError(`${HEADERS.run} must be a run id (a UUID)`);
  }
  const span = headers.get(HEADERS.parentSpan)?.trim().toLowerCase() || null;
  if (span !== null && !SPAN.test(span)) {
    throw new AttributionError(`${HEADERS.parentSpan} must be a span id (16 hex digits)`);
  }
  const trace = parseTraceparent(headers.get("traceparent"));
  return {
    session: label(HEADERS.session) ?? label(HEADERS.conversation),
    runId: run?.toLowerCase() ?? null,
    agent: label(HEADERS.agent),
    parentSpanId: span ?? trace?.spanId ?? null,
    traceId: trace?.traceId ?? null,
    endUser: label(HEADERS.endUser),
  };
}

/** The trace and parent span of a valid version-00 traceparent; null otherwise. */
export function parseTraceparent(
  value: string | null,
): { traceId: string; spanId: string } | null {
  const m = TRACEPARENT.exec(value?.trim().toLowerCase() ?? "");
  if (!m || m[1] === "ff" || /^0+$/.test(m[2]) || /^0+$/.test(m[3])) return null;
  return { traceId: m[2], spanId: m[3] };
}

function decodeLatin1(v: string): string {
  if (![...v].some((ch) => ch.charCodeAt(0) > 0x7f)) return v;
  const bytes = Uint8Array.from(v, (ch) => ch.charCodeAt(0) & 0xff);
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

function hasControl(text: string): boolean {
  return [...text].some((ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x20 || code === 0x7f;
  });
}
