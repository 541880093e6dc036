/**
 * Turns a LogTape record into the LogValue of a `glassbox.log` event: the message rendered to
 * text, and properties made JSON-safe and bounded, since they are stored and sent to browsers.
 */
import type { LogRecord } from "@logtape/logtape";
import type { LogLevel, LogValue } from "../spine/events.ts";
import { clip } from "../spine/text.ts";

/** Caps for what is forwarded to a run (it ends up in the events table and in browsers). */
export const LIMITS = {
  message: 4_000,
  string: 1_000,
  arrayItems: 50,
  objectKeys: 50,
  depth: 4,
  /** Max JSON length of LogValue.properties; larger ones are replaced by a truncated preview. */
  propertiesJson: 8_192,
} as const;

const LEVELS: ReadonlySet<string> = new Set([
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
]);

/** Converts a LogTape record to the LogValue carried by a `glassbox.log` event. */
export function toLogValue(record: LogRecord, context: Record<string, unknown>): LogValue {
  const value: LogValue = {
    level: LEVELS.has(record.level) ? record.level as LogLevel : "info",
    timestamp: record.timestamp,
    agent: typeof context.agent === "string" ? context.agent : null,
    category: record.category.join("."),
    message: truncate(renderMessage(record.message), LIMITS.message),
  };
  const properties = safeProperties(record.properties);
  if (properties) value.properties = properties;
  return value;
}

export function renderMessage(parts: readonly unknown[]): string {
  if (parts.length === 1 && typeof parts[0] === "string") return parts[0];
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i % 2 === 0) out += typeof part === "string" ? part : String(part);
    else out += renderValue(part);
    if (out.length > LIMITS.message) break;
  }
  return out;
}

function renderValue(v: unknown): string {
  switch (typeof v) {
    case "string":
      return truncate(v, LIMITS.string);
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return String(v);
    case "symbol":
      return v.toString();
    case "function":
      return `[Function ${v.name || "anonymous"}]`;
  }
  if (v === null) return "null";
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    return truncate(JSON.stringify(jsonSafe(v, 2, new WeakSet())), LIMITS.string);
  } catch {
    return "[unrenderable]";
  }
}

/** Properties minus the run context (runId is the run, agent has its own field); JSON-safe. */
function safeProperties(props: Record<string, unknown>): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  let count = 0;
  for (const key of Object.keys(props)) {
    if (key === "runId" || key === "agent") continue;
    if (++count > LIMITS.objectKeys) {
      out!["…"] = "more properties omitted";
      break;
    }
    try {
      (out ??= {})[key] = jsonSafe(props[key], LIMITS.depth, new WeakSet());
    } catch {
      (out ??= {})[key] = "[unserializable]";
    }
  }
  if (!out) return undefined;
  let json: string;
  try {
    json = JSON.stringify(out);
  } catch {
    return { _unserializable: true };
  }
  if (json.length <= LIMITS.propertiesJson) return out;
  return { _truncated: true, _preview: clip(json, LIMITS.propertiesJson) };
}

/** A plain-JSON copy: no cycles, bigints, functions, symbols or huge strings/arrays. */
function jsonSafe(v: unknown, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof v) {
    case "string":
      return truncate(v, LIMITS.string);
    case "number":
      return Number.isFinite(v) ? v : String(v);
    case "boolean":
      return v;
    case "bigint":
      return v.toString();
    case "undefined":
      return null;
    case "symbol":
      return v.toString();
    case "function":
      return `[Function ${v.name || "anonymous"}]`;
  }
  if (v === null) return null;
  const obj = v as object;
  if (seen.has(obj)) return "[Circular]";
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Error) {
    const e: Record<string, unknown> = { name: obj.name, message: truncate(obj.message, 1_000) };
    if (obj.stack) e.stack = truncate(obj.stack, 2_000);
    if (obj.cause !== undefined && depth > 0) {
      seen.add(obj);
      e.cause = jsonSafe(obj.cause, depth - 1, seen);
      seen.delete(obj);
    }
    return e;
  }
  if (depth <= 0) return Array.isArray(obj) ? `[Array(${obj.length})]` : "[Object]";
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const n = Math.min(obj.length, LIMITS.arrayItems);
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = jsonSafe(obj[i], depth - 1, seen);
      if (obj.length > n) out.push(`… ${obj.length - n} more`);
      return out;
    }
    if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name}(${obj.byteLength} bytes)]`;
    if (obj instanceof Map) return jsonSafe(Object.fromEntries(obj), depth, seen);
    if (obj instanceof Set) return jsonSafe([...obj], depth, seen);
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return jsonSafe(toJSON.call(obj), depth - 1, seen);
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const key of Object.keys(obj)) {
      if (++count > LIMITS.objectKeys) {
        out["…"] = "more keys omitted";
        break;
      }
      out[key] = jsonSafe((obj as Record<string, unknown>)[key], depth - 1, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** At most `max` units of `s` (cut code-point safe), and how much was left out. */
function truncate(s: string, max: number): string {
  const head = clip(s, max);
  return head.length === s.length ? s : `${head}… (${s.length - head.length} more chars)`;
}
