/** Reading a posted HTML form, and answering a refused account operation on a page. */
import type { Context } from "hono";
import { AccountError } from "../../auth/errors.ts";

/** The form's fields, each its first value as text; an unreadable body is an empty form. */
export async function formOf(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody({ all: true }).catch(() => ({}));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === "string") out[k] = first;
  }
  return out;
}

/** Every value of a repeated field (checkboxes). */
export async function formValues(c: Context, name: string): Promise<string[]> {
  const body = await c.req.parseBody({ all: true }).catch(() => ({} as Record<string, unknown>));
  const v = body[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
    (x): x is string => typeof x === "string",
  );
}

/**
 * Runs an account operation; an AccountError becomes `render(status, message)` (the page again,
 * with the reason), anything else is ours and propagates (a 500).
 */
export async function attempt(
  run: () => Promise<Response>,
  render: (status: AccountError["status"], message: string) => Response | Promise<Response>,
): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AccountError) return await render(err.status, err.message);
    throw err;
  }
}
