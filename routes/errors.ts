/** One shape for every API error: `{ error: { code, message } }` with a 4xx/5xx status. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

export function apiError(c: Context, status: ContentfulStatusCode, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}

export function zodMessage(err: ZodError): string {
  return err.issues
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

/** Parses a JSON body; on failure answers 400 and returns null. */
export async function readJson(
  c: Context,
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("application/json")) {
    return {
      ok: false,
      response: apiError(c, 415, "unsupported_media_type", "send application/json"),
    };
  }
  try {
    return { ok: true, value: await c.req.json() };
  } catch {
    return { ok: false, response: apiError(c, 400, "invalid_json", "the body is not valid JSON") };
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
