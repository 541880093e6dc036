/**
 * The one request-validation helper for JSON routes: a body or a query string checked by a
 * schema (zod's, or any with zod's safeParse, such as AG-UI's own), answering the client in the
 * project's error shape — 415 without a JSON content type, 400 `invalid_json`, 400 `invalid_body`
 * or `invalid_query` with every problem named. WebSocket messages use `check` for the same
 * wording in an error frame.
 */
import type { Context } from "hono";
import { apiError } from "./errors.ts";

export interface Schema<T> {
  safeParse(input: unknown):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

export type Checked<T> = { ok: true; value: T } | { ok: false; response: Response };

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

/** The JSON body, validated. */
export async function validJson<T>(c: Context, schema: Schema<T>): Promise<Checked<T>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("application/json")) {
    return {
      ok: false,
      response: apiError(c, 415, "unsupported_media_type", "send application/json"),
    };
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return { ok: false, response: apiError(c, 400, "invalid_json", "the body is not valid JSON") };
  }
  return answer(c, check(schema, body), "invalid_body");
}

/** The query string (one value per name), validated. */
export function validQuery<T>(c: Context, schema: Schema<T>): Checked<T> {
  return answer(c, check(schema, c.req.query()), "invalid_query");
}

function answer<T>(
  c: Context,
  checked: ReturnType<typeof check<T>>,
  code: "invalid_body" | "invalid_query",
): Checked<T> {
  return checked.ok ? checked : { ok: false, response: apiError(c, 400, code, checked.message) };
}
