/**
 * The query strings of the filter pages (/calls, /usage): plain GET forms send every field, and
 * an empty one means "any"; an unknown name or a bad value is the caller's mistake, told in one
 * sentence per problem for a 400 page. The fields both pages share are here.
 */
import type { Context } from "hono";
import { z } from "zod/v4";
import { truncate } from "../../agents/spine/text.ts";
import { UUID_RE } from "../../db/uuid.ts";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A name to match exactly (a model, an agent): printable, at most 200 characters. */
export const nameField = z.string().max(200, "must be at most 200 characters")
  .refine((s) => !CONTROL.test(s), "must not contain control characters");

export const userIdField = z.string().regex(UUID_RE, "must be a user id (a UUID)");

/** An ISO 8601 date or instant (UTC unless it names an offset). */
export const instantField = z.string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/,
    "must be an ISO date or time, e.g. 2026-12-01 or 2026-12-01T09:00:00Z",
  )
  .transform((s) => new Date(s))
  .refine((d) => !Number.isNaN(d.getTime()), "is not a real date");

export type PageQuery<T> = { ok: true; value: T } | { ok: false; message: string };

export function parsePageQuery<T>(
  c: Context,
  keys: readonly string[],
  schema: z.ZodType<T, unknown>,
): PageQuery<T> {
  const raw = Object.fromEntries(
    Object.entries(c.req.query()).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ""),
  );
  const unknown = Object.keys(raw).filter((k) => !keys.includes(k));
  if (unknown.length) {
    return {
      ok: false,
      message: `Unknown filter ${unknown.map((k) => `“${truncate(k, 40)}”`).join(", ")}. ` +
        `Known filters: ${keys.join(", ")}.`,
    };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    message: parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? "query");
      const got = raw[key] === undefined ? "" : ` (got “${truncate(raw[key], 60)}”)`;
      return `${key} ${i.message}${got}.`;
    }).join(" "),
  };
}
