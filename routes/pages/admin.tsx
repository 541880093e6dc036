/**
 * The admin pages (admins only; a member gets a 403 page): /admin/users (add, role, disable,
 * enable, password, sign out everywhere, delete), /admin/sign-ins (every active session; end
 * one) and /admin/audit (the audit log, newest first, by action). Every change goes through
 * auth/users.ts, which keeps an admin and audits it.
 */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import { audit } from "../../auth/audit.ts";
import { AccountError } from "../../auth/errors.ts";
import { AUDIT_ACTIONS, type AuditAction, listAudit } from "../../db/audit_log.ts";
import { getUser, listUsers, LOCAL_USER_ID, type Role, ROLES } from "../../db/users.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { AuditPage, SignInsPage } from "../../views/accounts/admin_pages.tsx";
import { UsersPage } from "../../views/accounts/users.tsx";
import { sessionToken, viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { actorOf } from "./account.tsx";
import { pageChrome } from "./chrome.ts";
import { attempt, formOf } from "./forms.ts";
import { adminOnly, problemPage } from "./problem.ts";

const DONE: Record<string, string> = {
  created: "The user was added.",
  role: "The role was changed.",
  disable: "The user was disabled and signed out everywhere.",
  enable: "The user was enabled.",
  password: "The password was set; the user was signed out everywhere.",
  "sign-out": "The user was signed out everywhere.",
  delete: "The user and everything they owned were deleted.",
  ended: "That session was ended.",
};

const AUDIT_PAGE = 100;
const AuditQuery = z.object({
  action: z.enum(AUDIT_ACTIONS).or(z.literal("")).default(""),
  before: z.coerce.number().int().positive().optional(),
});

export function adminPages(deps: AppDeps): Hono {
  const app = new Hono();
  const { auth, edge, db: { sql } } = deps;
  app.use("/admin/*", adminOnly(deps));

  const users = async (c: Context, status: 200 | 400 | 403 | 404 | 409, error?: string) =>
    c.html(
      UsersPage({
        ...pageChrome(deps, c),
        users: await listUsers(sql),
        meId: viewerOf(c).userId,
        localUserId: LOCAL_USER_ID,
        ok: DONE[c.req.query("done") ?? ""] ?? null,
        error,
      }),
      status,
    );
  const done = (c: Context, what: string) => c.redirect(`/admin/users?done=${what}`, 303);

  app.get("/admin/users", (c) => users(c, 200));

  app.post("/admin/users", async (c) => {
    const form = await formOf(c);
    return await attempt(async () => {
      await auth.users.create(actorOf(c, deps), {
        email: form.email ?? "",
        name: form.name,
        role: roleOf(form.role),
        password: form.password ? form.password : null,
      });
      return done(c, "created");
    }, (status, message) => users(c, status, message));
  });

  /** The user named in the path, or a 404 page. */
  const target = (c: Context) => {
    const id = c.req.param("id") ?? "";
    return UUID_RE.test(id) ? id : null;
  };
  const userAction = (
    what: string,
    run: (c: Context, userId: string, form: Record<string, string>) => Promise<unknown>,
  ) =>
  async (c: Context) => {
    const userId = target(c);
    if (!userId) return users(c, 404, "No such user.");
    const form = await formOf(c);
    return await attempt(async () => {
      await run(c, userId, form);
      return done(c, what);
    }, (status, message) => users(c, status, message));
  };

  app.post(
    "/admin/users/:id/role",
    userAction("role", (c, id, f) => auth.users.setRole(actorOf(c, deps), id, roleOf(f.role))),
  );
  app.post(
    "/admin/users/:id/disable",
    userAction("disable", (c, id) => auth.users.setDisabled(actorOf(c, deps), id, true)),
  );
  app.post(
    "/admin/users/:id/enable",
    userAction("enable", (c, id) => auth.users.setDisabled(actorOf(c, deps), id, false)),
  );
  app.post(
    "/admin/users/:id/password",
    userAction(
      "password",
      (c, id, f) => auth.users.setPassword(actorOf(c, deps), id, f.password ?? ""),
    ),
  );
  app.post(
    "/admin/users/:id/delete",
    userAction("delete", (c, id) => auth.users.delete(actorOf(c, deps), id)),
  );
  app.post(
    "/admin/users/:id/sign-out",
    userAction("sign-out", async (c, id) => {
      const user = await getUser(sql, id);
      if (!user) throw new AccountError(404, "No such user.");
      const ended = await auth.sessions.endAllOf(id);
      await audit(sql, actorOf(c, deps), "sessions_ended", user.email, { which: "all", ended });
    }),
  );

  const signIns = async (c: Context) =>
    c.html(SignInsPage({
      ...pageChrome(deps, c),
      sessions: await auth.sessions.list(),
      currentSessionId: await auth.sessions.idOf(sessionToken(c, edge)),
      ok: DONE[c.req.query("done") ?? ""] ?? null,
    }));

  app.get("/admin/sign-ins", signIns);

  app.post("/admin/sign-ins/:id/end", async (c) => {
    const id = c.req.param("id");
    const owner = (await auth.sessions.list()).find((s) => s.id === id);
    if (!owner || !(await auth.sessions.endById(id))) {
      return problemPage(deps, c, 404, "Not found", "No such session.");
    }
    await audit(sql, actorOf(c, deps), "sessions_ended", owner.email, { which: "one", ended: 1 });
    return c.redirect("/admin/sign-ins?done=ended", 303);
  });

  app.get("/admin/audit", async (c) => {
    const q = AuditQuery.safeParse(c.req.query());
    if (!q.success) {
      return problemPage(deps, c, 400, "Can't show the audit log", "Unknown action or page.");
    }
    const action = q.data.action === "" ? undefined : q.data.action as AuditAction;
    const entries = await listAudit(sql, { limit: AUDIT_PAGE, before: q.data.before, action });
    const older = entries.length === AUDIT_PAGE
      ? `/admin/audit?${new URLSearchParams({
        ...(action && { action }),
        before: String(entries.at(-1)!.id),
      })}`
      : null;
    return c.html(AuditPage({
      ...pageChrome(deps, c),
      entries,
      actions: AUDIT_ACTIONS,
      action: action ?? "",
      olderUrl: older,
    }));
  });

  return app;
}

function roleOf(raw: string | undefined): Role {
  if ((ROLES as readonly string[]).includes(raw ?? "")) return raw as Role;
  throw new AccountError(400, "The role must be admin or member.");
}
