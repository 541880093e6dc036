/**
 * The one request-validation helper for JSON routes: middleware that checks a JSON body or the
 * query string with a schema (zod's, or any with zod's safeParse, such as AG-UI's own) and
 * answers in the project's error shape — 415 without a JSON content type, 400 `invalid_json`,
 * 400 `invalid_body` or `invalid_query` with every problem named. The handler reads the checked
 * value with `c.req.valid("json")` / `c.req.valid("query")`. WebSocket messages use `check` for
 * the same wording in an error frame.
 */
import type { Env, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import { z } from "zod/v4";
import { apiError } from "./errors.ts";

/** One limit everywhere a message or an id comes in (chat API, WebSocket, AG-UI, the page). */
export const LIMITS = { messageChars: 32_000, idChars: 200, agentChars: 100 } as const;

/** Why Postgres cannot store this text as given, or null: NUL, or a lone UTF-16 surrogate. */
export function unstorable(text: string): string | null {
  if (text.includes("\0")) return "must not contain a NUL character (it cannot be stored)";
  if (!text.isWellFormed()) {
    return "must be valid Unicode (it contains a lone UTF-16 surrogate, which cannot be stored)";
  }
  return null;
}

/** The schema, refusing what the database cannot store, in the one error wording. */
export function storable<T extends z.ZodType<string>>(schema: T) {
  return schema.superRefine((s, ctx) => {
    const why = unstorable(s);
    if (why) ctx.addIssue({ code: z.ZodIssueCode.custom, message: why });
  });
}

/** A user's message: trimmed, not empty, within the limit, storable. */
export const MessageText = storable(
  z.string().trim().min(1, "must not be empty")
    .max(LIMITS.messageChars, `must be at most ${LIMITS.messageChars} characters`),
);

export interface Schema<T> {
  safeParse(input: unknown):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/** The input as the schema has it, or every problem in one message ("path: what; …"). */
export function check<T>(
  schema: Schema<T>,
  input: unknown,
): { ok: true; value: T } | { ok: false; message: string } {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const message = parsed.error.issues
    .map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message))
    .join("; ");
  return { ok: false, message };
}

/** The JSON body, checked; then `c.req.valid("json")`. */
export function validJson<T extends object>(
  schema: Schema<T>,
): MiddlewareHandler<Env, string, { in: { json: unknown }; out: { json: T } }> {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (!type.includes("application/json")) {
      return apiError(c, 415, "unsupported_media_type", "send application/json");
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return apiError(c, 400, "invalid_json", "the body is not valid JSON");
    }
    const checked = check(schema, body);
    if (!checked.ok) return apiError(c, 400, "invalid_body", checked.message);
    c.req.addValidatedData("json", checked.value);
    await next();
  };
}

/** The query string (the first value of each name), checked; then `c.req.valid("query")`. */
export function validQuery<T extends object>(schema: Schema<T>) {
  return validator("query", (_all, c) => {
    const checked = check(schema, c.req.query());
    return checked.ok ? checked.value : apiError(c, 400, "invalid_query", checked.message);
  });
}
