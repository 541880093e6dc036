/** One shape for every API error: `{ error: { code, message } }` with a 4xx/5xx status. */
import { BadRequestError, ConflictError, NotFoundError } from "../agents/runs/errors.ts";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export function apiError(c: Context, status: ContentfulStatusCode, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
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
