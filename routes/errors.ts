/** One shape for every API error: `{ error: { code, message } }` with a 4xx/5xx status. */
import { BadRequestError, ConflictError, NotFoundError } from "../agents/runs/errors.ts";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export function apiError(c: Context, status: ContentfulStatusCode, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}

/** Any zod version's error (AG-UI's schemas bring their own zod). */
export function zodMessage(err: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return err.issues
    .map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message))
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

/** How a refused run start is told to the client; null for errors that are ours (a 500). */
export function runStartRefusal(
  err: unknown,
): { status: 400 | 404 | 409; code: string; message: string } | null {
  if (err instanceof NotFoundError) return { status: 404, code: "not_found", message: err.message };
  if (err instanceof ConflictError) return { status: 409, code: "conflict", message: err.message };
  if (err instanceof BadRequestError) {
    return { status: 400, code: "invalid_body", message: err.message };
  }
  return null;
}
