/**
 * A page that says what went wrong (views/calls/shell.tsx CallsProblemPage) in the page chrome,
 * and the admin pages' gate that answers a member with the 403 one.
 */
import type { Context, MiddlewareHandler } from "hono";
import { CallsProblemPage } from "../../views/calls/shell.tsx";
import { requireAdmin } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { pageChrome } from "./chrome.ts";

export function problemPage(
  deps: AppDeps,
  c: Context,
  status: 400 | 403 | 404,
  heading: string,
  message: string,
): Response {
  return c.html(CallsProblemPage({ ...pageChrome(deps, c), heading, message }), status);
}

/** Lets admins through; anyone else gets the 403 page "Admins only" with `message`. */
export function adminOnly(deps: AppDeps, message = "This page is for admins."): MiddlewareHandler {
  return requireAdmin((c) => problemPage(deps, c, 403, "Admins only", message));
}
